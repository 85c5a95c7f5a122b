"""The one exception type for mistakes a user can cause and fix (bad spec, bad file, bad column).

The CLI turns it into one red line and exit code 2; the API into a 4xx. Messages name the file,
column, row or field and say what to do.
"""


class LeadscoreError(Exception):
    """A user-fixable problem. The message is shown to the user as it is.

    `loc` optionally points at the offending field, e.g. ("leads", 3, "TotalVisits"), for API errors.
    """

    def __init__(self, message: str, loc: tuple | None = None):
        super().__init__(message)
        self.loc = loc
