"""Errors the package raises for bad input; the CLI prints them without a traceback."""


class InferenceError(Exception):
    """Base class: a problem with what the user gave us, named in the message."""


class InputError(InferenceError):
    """An unreadable, empty or unsupported image, video or folder."""


class CheckpointError(InferenceError):
    """A checkpoint that is missing, corrupt or of another architecture."""


class DatasetError(InferenceError):
    """A dataset folder or split file that does not fit the expected layout."""
