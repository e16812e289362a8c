"""The two ways processing an article can fail, so that jobs know whether to retry."""


class PermanentError(Exception):
    """The input itself is unusable (nothing extractable, undecodable): retrying cannot help, so the
    article is marked failed with this message and the rest of its job goes on."""


class IndexMismatchError(Exception):
    """The stored index was built with other signature settings; searching it with these would silently
    find nothing, so start-up refuses."""


class RetryableError(Exception):
    """A passing condition (Redis unreachable, a concurrency conflict that would not settle): the job is
    retried by RQ, which is safe because processing an article twice changes nothing."""


class InFlightError(Exception):
    """The article is queued or being processed: changing it now would race with its job."""
