"""The deployment files stay in step with the code: every environment variable the code reads
is in deploy/footprint.env.example, and every process runs with production settings."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / "deploy" / "footprint.env.example"
READS = re.compile(
    r"""(?:os\.environ(?:\.get)?[\[(]|env_bool\(|env_list\(|_int\(|_setting\("\w+",\s*)"([A-Z][A-Z0-9_]+)\"""")
SKIP_DIRS = {".venv", "node_modules", "tests", "bench", "migrations", "static", "staticfiles"}
ONLY_FOR_TESTS = {"FOOTPRINT_TEST_DB_NAME"}


def variables_read_by_the_code() -> set[str]:
    names = {"DATABASE_URL"}  # dj_database_url.config() reads it
    sources = [ROOT / "config" / "gunicorn.conf.py", ROOT / "scripts" / "backup-db"]
    sources += [path for path in ROOT.rglob("*.py")
                if not SKIP_DIRS & set(path.relative_to(ROOT).parts)]
    for path in sources:
        names |= set(READS.findall(path.read_text()))
    names |= set(re.findall(r"\$\{(FOOTPRINT_[A-Z_]+):-", (ROOT / "scripts" / "backup-db").read_text()))
    return names - ONLY_FOR_TESTS


def test_every_environment_variable_is_in_the_example_env_file():
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    read = variables_read_by_the_code()
    assert {"DJANGO_SECRET_KEY", "CELERY_BROKER_URL", "GUNICORN_WORKERS"} <= read  # the scan works
    assert sorted(read - listed) == [], "add these to deploy/footprint.env.example (and docs)"


def test_procfile_runs_web_worker_one_beat_and_release_with_production_settings():
    processes = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines()
                     if line.strip() and not line.startswith("#"))
    assert set(processes) == {"release", "web", "worker", "beat"}
    for command in processes.values():
        assert "DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.production}" in command
    assert "gunicorn config.wsgi -c config/gunicorn.conf.py" in processes["web"]
    assert "celery -A config.celery_app --quiet worker" in processes["worker"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in processes["beat"]
    assert "migrate --noinput" in processes["release"] and "collectstatic" in processes["release"]


def test_systemd_units_run_production_settings_from_the_env_file():
    units = {path.name: path.read_text() for path in (ROOT / "deploy" / "systemd").glob("*.service")}
    assert {"footprint-web.service", "footprint-worker.service", "footprint-beat.service"} <= set(units)
    for name, text in units.items():
        assert "EnvironmentFile=/etc/footprint/footprint.env" in text, name
        assert "ExecStart=" in text, name
    for name in ("footprint-web.service", "footprint-worker.service", "footprint-beat.service",
                 "footprint-release.service"):
        assert "Environment=DJANGO_SETTINGS_MODULE=config.settings.production" in units[name]


def test_gunicorn_config_loads_with_production_defaults():
    """The web tier must never fall back to the local settings (DEBUG on): importing the
    `config` package sets the Celery app's local default, so the gunicorn config sets
    production first."""
    env = {"PATH": "/usr/bin:/bin", "GUNICORN_WORKERS": "3", "GUNICORN_TIMEOUT": "45",
           "DJANGO_SECRET_KEY": "x" * 50}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "config/gunicorn.conf.py",
         "--print-config", "config.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 0, result.stderr
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, re.MULTILINE))
    assert config["workers"] == "3" and config["timeout"] == "45"
    assert config["logger_class"] == "<JsonLogger()>"
    assert _settings_module_seen_by_gunicorn() == "config.settings.production"


def _settings_module_seen_by_gunicorn() -> str:
    """What DJANGO_SETTINGS_MODULE is once gunicorn's config file has run (no env given)."""
    code = ("import runpy, os; runpy.run_path('config/gunicorn.conf.py'); import config.wsgi; "
            "print(os.environ['DJANGO_SETTINGS_MODULE'])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "x" * 50},
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_collectstatic_with_the_production_storage_finds_every_file_a_file_names(tmp_path, settings):
    """Production serves static files through WhiteNoise's manifest storage, which rewrites every
    URL a stylesheet or script names (a script's ``sourceMappingURL`` too) and refuses a file
    whose target is missing: accessible-autocomplete's script named its source map, which the
    build did not copy, so ``collectstatic`` failed on a deploy."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("build/accessible-autocomplete.min.*.js"))
