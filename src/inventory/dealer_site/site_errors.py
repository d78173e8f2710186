"""What stops a scrape: the dealer site could not be read (fetching.py raises them)."""


class SiteError(Exception):
    """The dealer site could not be read completely; nothing is written."""


class BotWall(SiteError):
    """The site answered with its bot protection's challenge or block page instead of the page."""

    def __init__(self, url: str, status: int, marker: str):
        self.url, self.status, self.marker = url, status, marker
        super().__init__(f"{url} answered HTTP {status} with a challenge page ({marker})")


class SubrequestsSpent(SiteError):
    """The invocation's subrequest budget (MAX_SUBREQUESTS_PER_INVOCATION) has no room for the request."""
