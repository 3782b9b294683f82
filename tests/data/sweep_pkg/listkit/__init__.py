from listkit.common import common
from listkit.dedupe import dedupe

__all__ = ["common", "dedupe"]
