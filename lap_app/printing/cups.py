"""Vector printing through CUPS: the PDF itself goes to the queue with ``lp``.

CUPS takes PDF as its native job format: a driverless (IPP Everywhere, AirPrint) printer gets
the PDF as is; a PostScript queue (cups-pdf, office PS printers) gets it converted by the
cups-filters chain. Either way the text stays text: a "print to PDF" copy can be searched, and
a page weighs tens of kilobytes instead of a 300-dpi image's ~660 KB.

``lp`` is CUPS's own client (package cups-client): the same path an administrator uses, no
binding to compile, and it reads the queue's defaults (duplex, tray) like any application.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys

from lap_app.i18n import _
from lap_app.printing.errors import PrintError

log = logging.getLogger(__name__)

SUBMIT_TIMEOUT_S = 60  # lp returns once cupsd has spooled the job, not once it is printed
# Named CUPS media for the page sizes an ordonnance uses, in points (portrait).
NAMED_MEDIA = {"A4": (595.28, 841.89), "A5": (419.53, 595.28), "Letter": (612.0, 792.0)}
SIZE_TOLERANCE_PT = 3.0
# When a queue needs PostScript, cups-filters' pdftops renders the PDF. Its Ghostscript renderer
# drops the fonts' Unicode maps (a cups-pdf copy reads "comprim" for « comprimé »);
# pdftocairo keeps them. Queues that take PDF ignore the option.
JOB_OPTIONS = ("pdftops-renderer=pdftocairo",)


def cups_available() -> bool:
    """True where jobs go to CUPS as PDF: Linux (and other Unix) with CUPS's ``lp`` client."""
    return not sys.platform.startswith("win") and shutil.which("lp") is not None


def queue_exists(printer: str) -> bool:
    """True when CUPS knows the queue ``printer`` (``lpstat``: no Qt, safe in any thread)."""
    lpstat = shutil.which("lpstat")
    if lpstat is None:
        return True  # cannot tell: lp will say what is wrong
    try:  # an argv list, no shell: the printer's name is one argument whatever it holds
        done = subprocess.run([lpstat, "-p", printer], capture_output=True,  # noqa: S603 - our argv
                              timeout=SUBMIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return True  # cannot tell: lp will say what is wrong
    return done.returncode == 0


def media_for(width_pt: float, height_pt: float) -> str:
    """The CUPS ``media`` value for a page: its ISO/US name, else a custom size in points."""
    portrait = (min(width_pt, height_pt), max(width_pt, height_pt))
    for name, (width, height) in NAMED_MEDIA.items():
        if abs(portrait[0] - width) <= SIZE_TOLERANCE_PT and abs(portrait[1] - height) <= SIZE_TOLERANCE_PT:
            return name
    return f"Custom.{round(portrait[0])}x{round(portrait[1])}"


def submit_pdf(pdf: bytes, printer: str, *, job_name: str, media: str, copies: int = 1) -> str:
    """Queue ``pdf`` on the CUPS printer ``printer``; returns CUPS's job id ("PDF-12").

    Raises ``PrintError`` with the reason in French when CUPS refuses the job."""
    command = [shutil.which("lp") or "lp", "-d", printer, "-t", job_name, "-n", str(max(1, copies)), "-o", f"media={media}"]
    for option in JOB_OPTIONS:
        command += ["-o", option]
    command.append("-")  # the document on standard input: no temporary file holding the ordonnance
    try:
        done = subprocess.run(command, input=pdf, capture_output=True,  # noqa: S603 - our argv, no shell
                              timeout=SUBMIT_TIMEOUT_S, check=False)
    except FileNotFoundError as error:
        raise PrintError(_("Le système d'impression (CUPS) n'est pas installé sur ce poste.")) from error
    except subprocess.TimeoutExpired as error:
        raise PrintError(_("Le système d'impression ne répond pas : l'ordonnance n'a pas été envoyée "
                          "à l'imprimante.")) from error
    reason = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        log.warning("lp refused the job on %s: %s", printer, reason)
        raise PrintError(_("L'imprimante « {name} » a refusé l'impression : {reason}").format(
            name=printer, reason=reason or _("raison inconnue")))
    # "request id is PDF-12" (the wording follows the locale; the id is the queue's name and a number)
    found = re.search(rf"({re.escape(printer)}-\d+)", done.stdout.decode("utf-8", "replace"))
    job = found.group(1) if found else ""
    log.info("job %s queued on %s (%d bytes of PDF)", job or "?", printer, len(pdf))
    return job
