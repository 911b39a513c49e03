"""One clock for the whole portal: aware UTC datetimes."""

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
