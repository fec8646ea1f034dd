from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from workflows.forms import NamedErrorsMixin

from .models import EmailFrequency


class PreferenceForm(NamedErrorsMixin, forms.Form):
    email = forms.ChoiceField(label="How should we email you?", choices=EmailFrequency.choices,
                              widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Field.radios("email", legend_size=Size.MEDIUM), Button("submit", "Save"))
