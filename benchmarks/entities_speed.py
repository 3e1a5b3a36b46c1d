"""Strings per second of `relsynth.privacy.entities.find` on generated ticket-like text.

Usage: python benchmarks/entities_speed.py [N]   (default: 100000)
Builds N strings of about 200 characters (Faker sentences, fixed seed; one in five carries a
planted name or address) and a names list of 20k customers, then times `find` once without and
once with the names list. Prints seconds and strings/s for each.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from faker import Faker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from relsynth.privacy.entities import find  # noqa: E402

PLANTS = (
    "Hi, this is {name}, {street}, please call back.",
    "Customer {name} says the parcel never reached {street}.",
    "Ask Dr. {last} about order 12 placed on Friday.",
    "Thanks,\n{name}",
)


def make_strings(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    people = [fake.name() for _ in range(20_000)]
    streets = [fake.street_address() for _ in range(2_000)]
    filler = [fake.sentence(nb_words=12) for _ in range(5_000)]
    strings = []
    for _ in range(n):
        text = " ".join(rng.choice(filler) for _ in range(2))
        if rng.random() < 0.2:
            name = rng.choice(people)
            plant = rng.choice(PLANTS).format(name=name, last=name.split()[-1], street=rng.choice(streets))
            text = f"{text} {plant}"
        strings.append(text)
    return strings, people


def timed(strings: list[str], names: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    found = find(strings, names=names)
    return time.perf_counter() - start, sum(len(spans) for spans in found)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    strings, people = make_strings(n)
    find(["warm-up: Faker name lists are loaded once"])
    mean_length = sum(map(len, strings)) / n
    print(f"{n} strings, {mean_length:.0f} characters on average")
    for label, names in (("without names", []), ("with 20k known names", people)):
        seconds, spans = timed(strings, names)
        print(f"{label:>22}: {seconds:6.2f} s  {n / seconds:9.0f} strings/s  ({spans} spans)")


if __name__ == "__main__":
    main()
