"""The words the calibration probes are made of (data only).

Changing any list, or its order, changes the probes: the seeded draws pick by position.
"""

from __future__ import annotations

SUBJECTS = [
    "the committee",
    "a young engineer",
    "the old ferryman",
    "my neighbour",
    "the city council",
    "a travelling merchant",
    "the librarian",
    "our team",
    "the harbour master",
    "a retired teacher",
    "the bakery owner",
    "the surveyor",
]
VERBS = [
    "discussed",
    "repaired",
    "painted",
    "described",
    "questioned",
    "measured",
    "carried",
    "ignored",
    "praised",
    "rebuilt",
    "studied",
    "photographed",
]
OBJECTS = [
    "the wooden bridge",
    "an unusual proposal",
    "the northern wall",
    "a broken clock",
    "the annual budget",
    "a set of maps",
    "the garden fence",
    "an old ledger",
    "the village school",
    "a crate of apples",
    "the river path",
    "a stack of letters",
]
TAILS = [
    "before the winter came",
    "after a long argument",
    "with great care",
    "without telling anyone",
    "during the spring fair",
    "for the third time",
    "while it was raining",
    "in front of the station",
    "late in the evening",
    "as the market opened",
    "despite the cost",
    "on a quiet Sunday",
]
REMARKS = [
    "Nobody expected it to take so long.",
    "It was, by most accounts, a modest success.",
    "Some people still talk about it.",
    "The work was slower than planned.",
    "Everyone agreed it had been worth the effort.",
    "Few records of it survive.",
    "It rained for most of the week.",
    "The details were written down later.",
]
NAMES = [
    "Alvar",
    "Brenna",
    "Casimir",
    "Delphine",
    "Eamon",
    "Fenella",
    "Gideon",
    "Halvard",
    "Isolde",
    "Jovan",
    "Katrin",
    "Leopold",
    "Marisol",
    "Nikolai",
    "Odette",
    "Percival",
]
THINGS = [
    "blue lantern",
    "silver compass",
    "clay whistle",
    "copper kettle",
    "glass owl",
    "iron key",
    "velvet hat",
    "paper kite",
]
SURNAMES = [
    "Abbott",
    "Brandt",
    "Castell",
    "Dorsey",
    "Ekwall",
    "Farrugia",
    "Grennan",
    "Holloway",
    "Ingram",
    "Jessup",
    "Kovacs",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Pryce",
]
PLACES = ["Lisbon", "Tromso", "Valparaiso", "Kyoto", "Tbilisi", "Reykjavik", "Cusco", "Hobart"]
ACTIVITIES = [
    "walk along the harbour at dawn",
    "eat grilled fish by the old market",
    "climb the hill behind the cathedral",
    "take the night train to the coast",
    "swim in the cold lake before breakfast",
    "read in the botanical garden",
]
ROOMS = ["attic", "hallway", "study", "kitchen", "cellar", "library", "garden shed", "parlour"]
"""Where the link probes' bridge objects are kept."""
