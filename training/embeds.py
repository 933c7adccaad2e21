"""Which video links a lesson shows as a player: YouTube and Vimeo, and nothing else.

Pure functions. A link is embedded only when its host is on the allow-list and the video's id
has that host's shape; the player is always loaded from the provider's own embed address
(YouTube's no-cookie one), never from the address the admin typed.
"""

import re
from urllib.parse import parse_qs, urlsplit

YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "www.youtu.be"}
YOUTUBE_HOSTS |= {"youtube-nocookie.com", "www.youtube-nocookie.com"}
VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
PLAYER_ORIGINS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")

_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_ID = re.compile(r"\d{1,12}")


class VideoLinkError(ValueError):
    pass


def video_player_url(link: str) -> str | None:
    """The embed address for a YouTube or Vimeo link; None for any other link. A link to one of
    those hosts that names no video raises VideoLinkError, saying what shape was expected."""
    parts = urlsplit(link.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or host not in YOUTUBE_HOSTS | VIMEO_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if host in VIMEO_HOSTS:
        video = segments[-1] if segments else ""
        if not _VIMEO_ID.fullmatch(video):
            raise VideoLinkError("A Vimeo link names its video by number: vimeo.com/123456789.")
        return f"https://player.vimeo.com/video/{video}"
    if host.endswith("youtu.be"):
        video = segments[0] if segments else ""
    elif segments[:1] in (["embed"], ["shorts"], ["live"]) and len(segments) > 1:
        video = segments[1]
    else:
        video = (parse_qs(parts.query).get("v") or [""])[0]
    if not _YOUTUBE_ID.fullmatch(video):
        raise VideoLinkError(
            "This YouTube link names no video: use the video's address, "
            "youtube.com/watch?v=… or youtu.be/…."
        )
    return f"https://www.youtube-nocookie.com/embed/{video}"
