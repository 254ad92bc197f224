"""Write ``core/infiniretri_core/data/calibqa.json``: the calibration questions.

A question set of the same kind as ``realqa.json`` (see ``infiniretri_core.bench.realqa``),
on six documents that share no text with realqa's, for choosing a reading model's heads
without touching the evaluation set. Every question was written by reading the built
document; each gold sentence is given here by its text and located in the document by
:func:`realqa.locate` (any run of whitespace matches any other), so the stored offsets are
exact. A gold text must occur exactly once in its document.

    .venv/bin/python tests/data/make_calibqa.py          # needs Python 3.11.7 and the model

Token counts use the embedded SmolLM2-135M-Instruct tokenizer on the whole text.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections import Counter
from typing import Any

from infiniretri_core.bench import realqa

OUT = realqa.CALIBRATION

DOCS: list[dict[str, Any]] = [
    {
        "name": "idle-help",
        "source": "stdlib_files",
        "parts": ["idlelib/help.html"],
        "description": "IDLE's manual (the IDLE chapter of the library reference) as CPython "
        "installs it in idlelib/help.html, reduced to the text of its main part",
    },
    {
        "name": "idle-news",
        "source": "stdlib_files",
        "parts": ["idlelib/NEWS.txt"],
        "description": "IDLE's release notes for Python 3.1 .. 3.11 (idlelib/NEWS.txt)",
    },
    {
        "name": "idle-history",
        "source": "stdlib_files",
        "parts": [
            "idlelib/README.txt",
            "idlelib/extend.txt",
            "idlelib/TODO.txt",
            "idlelib/NEWS2x.txt",
            "idlelib/HISTORY.txt",
        ],
        "description": "IDLE's developer notes: the idlelib index, how to write an extension, "
        "the original wish list, then the release notes of IDLE 2.x and IDLEfork back to 0.1",
    },
    {
        "name": "py-text",
        "source": "pydoc_modules",
        "parts": ["string", "re", "textwrap", "unicodedata"],
        "description": "help() of the text-processing modules string, re, textwrap and "
        "unicodedata as pydoc renders it (difflib is left out: its signatures print object "
        "addresses)",
    },
    {
        "name": "py-concurrency",
        "source": "pydoc_modules",
        "parts": ["concurrent.futures", "subprocess", "queue"],
        "description": "help() of the concurrency modules concurrent.futures, subprocess and "
        "queue as pydoc renders it (threading is left out: test runners replace its "
        "excepthook; sched too: its signatures print an object's address)",
    },
    {
        "name": "py-numeric",
        "source": "pydoc_modules",
        "parts": ["numbers", "math", "cmath", "fractions", "statistics"],
        "description": "help() of the numeric modules numbers, math, cmath, fractions and "
        "statistics as pydoc renders it",
    },
]

# (document, kind, question, answers, gold sentences[, inferred]); gold in document order.
Q = tuple[str, str, str, list[str], list[str]]
QUESTIONS: list[Q | tuple[str, str, str, list[str], list[str], bool]] = [
    # idle-help: IDLE's manual.
    ("idle-help", "number", "How many edits can be reverted at most in IDLE's editor?",
     ["1000", "1,000"], ["A maximum of 1000 changes may be undone."]),
    ("idle-help", "fact",
     "How big is a freshly opened window, in rows and characters, before anyone alters the "
     "setting?",
     ["40 lines by 80", "40 by 80", "40x80", "40 x 80"],
     ["The initial size defaults to 40 lines by 80 chars unless changed on the General tab "
      "of the Configure IDLE dialog."]),
    ("idle-help", "reason",
     "What is to blame for the editor's indentation key being held to a width of 4 for now?",
     ["Tcl/Tk", "Tk limitation"],
     ["Currently, tabs are restricted to four spaces due to Tcl/Tk limitations."]),
    ("idle-help", "number",
     "Out of the box, how many rows at most can the frozen strip of enclosing headers above "
     "the code occupy?",
     ["15", "fifteen"],
     ["The size of the pane will be expanded and contracted as needed to show the all current "
      "levels of context, up to the maximum number of lines defined in the Configure IDLE "
      "dialog (which defaults to 15)."]),
    ("idle-help", "number",
     "On Linux, below which version of the GUI toolkit can some glyphs of some typefaces "
     "crash the program?",
     ["8.6.11"],
     ["On Unix-based systems with tcl/tk older than 8.6.11 (see About IDLE) certain "
      "characters of certain fonts can cause a tk failure with a message to the terminal."]),
    ("idle-help", "two-hop",
     "Your program runs in a second process that talks to the editor over a connection; what "
     "host address must that link have?",
     ["127.0.0.1", "LOCALHOST"],
     ["The valid value is 127.0.0.1 (idlelib.rpc.LOCALHOST).",
      "By default, IDLE executes user code in a separate subprocess via a socket, which uses "
      "the internal loopback interface."]),
    ("idle-help", "two-part",
     "Which context-menu command collapses a block of printed results into a placeholder, and "
     "what do you do to that placeholder to unfold it again?",
     ["Squeeze", "double-click", "double click"],
     ["If the cursor is over an output line, squeeze all the output between the code above "
      "and the prompt below down to a ‘Squeezed text’ label.",
      "Squeezed output is expanded in place by double-clicking the label."]),
    ("idle-help", "name", "What is the name of the sole add-on enabled out of the box?",
     ["zzdummy"],
     ["The only current default extension is zzdummy, an example also used for testing."]),
    # idle-news: IDLE's release notes, newest first.
    ("idle-news", "fact",
     "Which key combination are Microsoft users now told to press to leave the interactive "
     "shell?",
     ["Ctrl-D"],
     ["bpo-45296: On Windows, change exit/quit message to suggest Ctrl-D, which works, "
      "instead of <Ctrl-Z Return>, which does not work in IDLE."]),
    ("idle-news", "two-hop",
     "On what day did the version ship that introduced a gutter labelling each row of code "
     "you modify?",
     ["2019-10-14"],
     ["Released on 2019-10-14",
      "bpo-17535: Add optional line numbers for IDLE editor windows."]),
    ("idle-news", "number",
     "To what share of its lines did the unit tests of the settings-loading class climb?",
     ["96%", "96 %"],
     ["Increase coverage from 46% to 96%."]),
    ("idle-news", "reason", "What teaching use motivated offering bigger lettering in 3.6?",
     ["classroom", "projection"],
     ["Issue #17642: add larger font sizes for classroom projection."]),
    ("idle-news", "name",
     "Under what title was the outline viewer for a source file known before 3.7?",
     ["Class Browser"],
     ["bpo-31459: Rename module browser from Class Browser to Module Browser."]),
    ("idle-news", "definition", "What does the tool's four-letter name now officially expand to?",
     ["Integrated Development and Learning Environment", "Development and Learning"],
     ["'IDLE' now means 'Integrated Development and Learning Environment'."]),
    ("idle-news", "two-hop",
     "When did the version ship that first let you launch the turtle graphics demos from the "
     "menus?",
     ["2015-09-13"],
     ["*Release date: 2015-09-13*",
      "Issue #17172: Turtledemo can now be run from Idle."]),
    ("idle-news", "number",
     "Which enhancement proposal is cited for dropping the choice of character set for saved "
     "program files?",
     ["3120"],
     ["Issue #4323: Always encode source as UTF-8 without asking the user (unless a different "
      "encoding is declared); remove user configuration of source encoding; all according to "
      "PEP 3120."]),
    # idle-history: idlelib's README, extend.txt, TODO.txt, NEWS2x.txt, HISTORY.txt.
    ("idle-history", "definition",
     "What does the parenthesised three-letter tag after some module descriptions signify?",
     ["not in IDLE MENU", "not in the IDLE menu", "not in the menu"],
     ["Implementation files not in IDLE MENU are marked (nim)."]),
    ("idle-history", "number",
     "Which board number on the hosting site collects the editor's open tickets?",
     ["31"],
     ["The IDLE Issues listing is https://github.com/orgs/python/projects/31."]),
    ("idle-history", "fact", "What does a plugin's constructor get passed when it is created?",
     ["editwin", "EditorWindow"],
     ["An IDLE extension class is instantiated with a single argument, `editwin', an "
      "EditorWindow instance."]),
    ("idle-history", "name",
     "Who asked for a drag-and-drop window layout builder to outdo a Microsoft development "
     "product?",
     ["Robert Geiger", "Geiger"],
     ["GUI form designer to kick VB's butt.  (Robert Geiger) THAT'S NOT IDLE"]),
    ("idle-history", "reason",
     "What made the tool's revision label leap ahead when it became 2.6?",
     ["match the version number of the Python", "Python release", "match Python"],
     ["IDLE's version number takes a big jump to match the version number of the Python "
      "release of which it's a part."]),
    ("idle-history", "name",
     "On which operating system did pressing interrupt in the terminal leave a hung child "
     "process?",
     ["OpenBSD"],
     ["On OpenBSD, terminating IDLE with ctrl-c from the command line caused a stuck "
      "subprocess MainThread because only the SocketThread was exiting."]),
    ("idle-history", "two-hop",
     "The inter-process messaging layer that IDLEfork 0.9 discarded in favour of the "
     "language creator's was written by someone; at what email domain could he be reached?",
     ["cmu.edu"],
     ["Removed David Scherer's Remote Procedure Call code and replaced with Guido van "
      "Rossum's.",
      "David Scherer  <dscherer@cmu.edu>"]),
    ("idle-history", "two-part",
     "In the 0.3 release, what did Control-F5 do to a module, and what did the same keys do "
     "by 0.5?",
     ["debugger", "run a script"],
     ["You use Control-F5 to run a script: this runs the script *in* the __main__ namespace.",
      "Pressing F5 in a module is effectively a reload of that module; Control-F5 loads it "
      "under the debugger."]),
    # py-text: help() of string, re, textwrap, unicodedata.
    ("py-text", "name", "Which constant holds the base-8 numerals?",
     ["octdigits"], ["octdigits -- a string containing all ASCII octal digits"]),
    ("py-text", "two-hop",
     "Normally the dot wildcard refuses to cross one thing; which flag lifts that "
     "restriction?",
     ["DOTALL"],
     ['"." Matches any character except a newline.',
      'S DOTALL "." matches any character at all, including the newline.']),
    ("py-text", "definition",
     "What is another name for the tally of set bits in a binary number?",
     ["population count"],
     ["Also known as the population count."]),
    ("py-text", "name",
     "Which attribute of the regex exception gives the offset at which building the "
     "expression broke?",
     ["pos"],
     ["pos: The index in the pattern where compilation failed (may be None)"]),
    ("py-text", "fact", "When you cap the number of cuts, where does the leftover text end up?",
     ["final element", "last element", "last item"],
     ["If maxsplit is nonzero, at most maxsplit splits occur, and the remainder of the string "
      "is returned as the final element of the list."]),
    ("py-text", "reason",
     "Why is the option that puts double blanks after full stops disabled unless requested?",
     ["imperfect"],
     ["Off by default because the algorithm is | (unavoidably) imperfect."]),
    ("py-text", "two-hop",
     "When a string is too long for the given width, what marker does the truncating helper "
     "finish with out of the box?",
     ["[...]"],
     ["placeholder (default: ' [...]')",
      "Otherwise, as many words as possible are joined and then the placeholder is "
      "appended::"]),
    ("py-text", "number",
     "Which release of the character property tables does the module ship with?",
     ["14.0.0"],
     ["The data in this database is based on the UnicodeData.txt file version 14.0.0 which "
      "is publicly available from ftp://ftp.unicode.org/."]),
    # py-concurrency: help() of concurrent.futures, subprocess, queue.
    ("py-concurrency", "fact",
     "What happens if you attach a completion hook to a pending-result object that is no "
     "longer running?",
     ["immediately", "right away"],
     ["If the future has already completed or been | cancelled then the callable will be "
      "called immediately."]),
    ("py-concurrency", "fact",
     "Which start method does the pool fall back on when you cap how many jobs each worker "
     "may run but pick no multiprocessing flavour?",
     ["spawn"],
     ["When given, we default to using 'spawn' if no | mp_context is supplied."]),
    ("py-concurrency", "definition",
     "If none of the awaited jobs fails, what does the 'halt on the earliest failure' waiting "
     "mode behave like?",
     ["ALL_COMPLETED"],
     ["If no future raises an exception then it is equivalent to ALL_COMPLETED."]),
    ("py-concurrency", "name",
     "Who wrote the package for running calls in pools of workers?",
     ["Brian Quinlan", "Quinlan"],
     ["Brian Quinlan (brian@sweetapp.com)"]),
    ("py-concurrency", "two-hop",
     "When you ask the high-level runner to verify success and the command fails, what is the "
     "parent of the error you get?",
     ["SubprocessError"],
     ["class CalledProcessError(SubprocessError)",
      "If check is True and the exit code was non-zero, it raises a CalledProcessError."]),
    ("py-concurrency", "number",
     "In the example that reports a shell command's status with its output, what status comes "
     "back for a program that does not exist?",
     ["127"],
     ["(127, 'sh: /bin/junk: not found')"]),
    ("py-concurrency", "two-part",
     "Which error types tell you that an immediate take found nothing and that an immediate "
     "insert found no room?",
     ["Empty", "Full"],
     ["class Empty(builtins.Exception) | Exception raised by Queue.get(block=0)/get_nowait().",
      "class Full(builtins.Exception) | Exception raised by Queue.put(block=0)/put_nowait()."]),
    ("py-concurrency", "reason",
     "Why does the unbounded simple FIFO disregard the waiting-related options when you add "
     "an item?",
     ["never blocks"],
     ["The optional 'block' and 'timeout' arguments are ignored, as this method | never "
      "blocks."]),
    # py-numeric: help() of numbers, math, cmath, fractions, statistics.
    ("py-numeric", "number",
     "Which enhancement proposal specifies the tower of numeric interfaces?",
     ["3141"],
     ["numbers - Abstract Base Classes (ABCs) for numbers, according to PEP 3141."]),
    ("py-numeric", "two-hop",
     "The exact-ratio type derives from one abstract base; what does that base require of "
     "the top and bottom parts?",
     ["lowest terms"],
     [".numerator and .denominator should be in lowest terms.",
      "class Fraction(numbers.Rational)"]),
    ("py-numeric", "name",
     "Which language specification are the real-number maths routines taken from?",
     ["C standard"],
     ["This module provides access to the mathematical functions defined by the C standard."]),
    ("py-numeric", "fact",
     "When there's a tie between two candidate quotients, which one does the IEEE-style "
     "remainder function choose?",
     ["even"],
     ["In the case where x is exactly halfway between two multiples of y, the nearest even "
      "value of n is used."]),
    ("py-numeric", "fact",
     "Does building an exact ratio from the binary value 0.3 give three tenths?",
     ["no", "not"],
     ["Beware that Fraction.from_float(0.3) != Fraction(3, 10)."], True),
    ("py-numeric", "two-hop",
     "What built-in error class ultimately underlies the failure you get when averaging a "
     "list with nothing in it?",
     ["ValueError"],
     ["A single exception is defined: StatisticsError is a subclass of ValueError.",
      "If ``data`` is empty, StatisticsError will be raised."]),
    ("py-numeric", "number",
     "How many individuals does the demographic example's whole group contain?",
     ["1071", "1,071"],
     ["The 50th percentile (median) is the 536th person out of the 1071 member cohort."]),
    ("py-numeric", "number",
     "How many observations at minimum does the sample-based spread function require?",
     ["two", "2"],
     ["data should be an iterable of Real-valued numbers, with at least two values."]),
]  # fmt: skip


def _tokenizer() -> Any:
    from infiniretri_core import models

    return models.load(device="cpu")[1]


def main() -> None:
    tokenizer = _tokenizer()
    documents, texts = [], {}
    for d in DOCS:
        doc = realqa.Document(
            d["name"], "calibration", d["source"], tuple(d["parts"]), "", 0, 0, ""
        )
        text = realqa.build(doc)
        texts[d["name"]] = text
        documents.append(
            {
                "name": d["name"],
                "split": "calibration",
                "source": d["source"],
                "parts": d["parts"],
                "description": d["description"],
                "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "chars": len(text),
                "tokens": len(tokenizer.encode(text)),
            }
        )
    questions, numbers = [], Counter[str]()
    for entry in QUESTIONS:
        name, kind, question, answers, gold = entry[:5]
        text = texts[name]
        spans = []
        for sentence in gold:
            found = realqa.locate(text, sentence)
            if len(found) != 1:
                raise SystemExit(f"{name}: {len(found)} occurrences of {sentence!r}")
            start, end = found[0]
            spans.append({"start": start, "end": end, "text": text[start:end]})
        spans.sort(key=lambda g: g["start"])
        numbers[name] += 1
        q: dict[str, Any] = {
            "id": f"{name}-{numbers[name]:02d}",
            "document": name,
            "question": question,
            "answers": answers,
            "kind": kind,
            "gold": spans,
        }
        if len(entry) > 5:
            q["inferred"] = entry[5]
        questions.append(q)
    spec = {
        "python": platform.python_version(),
        "platform": platform.system(),
        "tokenizer": "SmolLM2-135M-Instruct (the embedded model's), whole text",
        "documents": documents,
        "questions": questions,
    }
    OUT.write_text(json.dumps(spec, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    realqa.spec.cache_clear()
    realqa.text.cache_clear()
    qs = realqa.questions("calibration")
    print(f"wrote {OUT}: {len(documents)} documents, {len(qs)} questions")
    for d in documents:
        print(f"  {d['name']}: {d['tokens']} tokens, {d['chars']} chars")
    print("kinds", dict(Counter(x.kind for x in qs)))
    print("paraphrased", sum(map(realqa.paraphrased, qs)), "of", len(qs))
    for x in qs:
        where = ", ".join(f"{g.start / len(texts[x.document]):.2f}" for g in x.gold)
        print(f"  {x.id} {x.kind:10} at {where} paraphrased={realqa.paraphrased(x)}")


if __name__ == "__main__":
    main()
