class TransitionRefused(Exception):
    """A move the state machine does not allow from where the case is now (HTTP 409)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
