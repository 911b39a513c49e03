"""The app's icons, drawn here from the brand colour and the organisation's initial (our own artwork,
so there are no image files to keep or license). Drawn once per process and size."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from portal.settings import Settings

SUPERSAMPLE = 3  # Draw bigger, then shrink: smooth edges on the rounded corners.


@dataclass(frozen=True)
class Icon:
    name: str  # The file name in /icons/.
    size: int
    maskable: bool  # Fills the whole square; the letter stays inside the middle 80% safe zone.


ICONS = {icon.name: icon for icon in (
    Icon("icon-192.png", 192, maskable=False),
    Icon("icon-512.png", 512, maskable=False),
    Icon("maskable-192.png", 192, maskable=True),
    Icon("maskable-512.png", 512, maskable=True),
    # iOS puts its own rounded mask on the icon and fills transparency with black: a full square.
    Icon("apple-touch-icon.png", 180, maskable=True),
)}


def initial(organisation_name: str) -> str:
    """The first letter or digit of the name, if the built-in font has it; "" otherwise."""
    for character in organisation_name:
        if character.isalnum():
            return character.upper() if character.isascii() else ""
    return ""


def version(settings: Settings) -> str:
    """Changes when the drawing would: for `?v=` in icon URLs."""
    organisation = settings.organisation
    return hashlib.sha256(f"{organisation.brand_colour}|{initial(organisation.name)}".encode()
                          ).hexdigest()[:12]


def png(icon: Icon, settings: Settings) -> bytes:
    organisation = settings.organisation
    return _draw(icon.size, icon.maskable, organisation.brand_colour, initial(organisation.name))


@cache
def _draw(size: int, maskable: bool, colour: str, letter: str) -> bytes:
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=colour)
        letter_height = big * 0.42
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=round(big * 0.2), fill=colour)
        letter_height = big * 0.6
    if letter:
        font = ImageFont.load_default(size=round(letter_height))
        # A thin outline around the letter makes it bold enough to read at small sizes.
        draw.text((big / 2, big / 2), letter, fill="white", font=font, anchor="mm",
                  stroke_width=round(letter_height * 0.035), stroke_fill="white")
    else:  # A name without a letter we can draw: a plain white ring.
        radius = letter_height / 2
        centre = big / 2
        draw.ellipse((centre - radius, centre - radius, centre + radius, centre + radius),
                     outline="white", width=round(big * 0.06))
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    if maskable:
        image = image.convert("RGB")  # No transparency anywhere.
    output = BytesIO()
    image.save(output, "PNG", optimize=True)
    return output.getvalue()
