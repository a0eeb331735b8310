"""Build the training and dev corpora: shared datasets by role and licence, plus the project's own data."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from slmguard.data.example import Example
from slmguard.data.leakage import held_out_keys, text_key
from slmguard.data.manifest import SHIPPABLE_LICENCES, Manifest
from slmguard.data.mapping import to_example

# Rows taken per dataset and role (a cap keeps the corpus balanced and training within minutes).
TRAIN_CAPS: dict[str, int] = {
    "advbench": 520, "catqa": 550, "harmfulqa": 1200, "jailbreak_llms_inthewild": 650,
    "toxigen_prompts": 722, "cyberseceval": 400, "coconot": 927, "gsm8k_questions": 1500,
    "squad_v2_questions": 2500, "nq_open_questions": 2500, "webquestions": 2000,
    "self_instruct_seed_user": 175, "square": 2500, "kosbi": 2000, "kmhas": 3000,
    "korean_hate_speech": 3000, "korean_curse_detection": 2500, "kotox_ko": 2500,
    "chatbot_data_ko": 2000, "sae4k_ko": 1500, "parakqc_ko": 800, "kornlu_sentences_ko": 1500,
    "klue_sentences_ko": 800,
}  # fmt: skip
DEV_CAPS: dict[str, int] = {
    "harmbench": 80, "do_not_answer": 939, "malicious_instruct": 100, "gsm8k_questions": 500,
    "squad_v2_questions": 600, "webquestions": 600, "square": 800, "korean_hate_speech": 471,
    "kotox_ko": 600, "kornlu_sentences_ko": 400, "klue_sentences_ko": 300,
}  # fmt: skip
PROJECT_DATA: dict[str, str] = {
    "harmful_requests": "Korean harmful requests for every category, English ones for thin categories",
    "harmful_ko_more": "Korean conversational harmful requests and safe look-alikes",
    "harmful_ko_questions": "Korean harmful requests phrased as plain everyday questions",
    "harmful_ko_drugs": "Korean requests to make, buy, sell, smuggle or hide illegal drugs, and benign drug questions "
    "(scripts/make_drug_requests.py)",
    "requests_en": "English prompt attacks, benign cyber-defence tasks, harmful requests in indirect framings, "
    "benign dark-topic requests",
    "statements": "English (and some Korean) harmful and benign statement-style texts: posts, chat, comments",
    "benign_posts": "Benign English and Korean posts, comments and chat messages",
    "contrast_en": "English benign contrast queries and sensitive questions",
    "contrast_ko": "Korean benign contrast queries and sensitive questions",
    "contrast_more": "More English and Korean benign look-alikes of every over-refusal kind",
    "everyday_requests": "Requests for jokes, stories and facts, and hateful ones as their contrast "
    "(scripts/make_everyday_requests.py)",
    "obfuscated": "Obfuscated variants of the harmful requests (scripts/make_obfuscated.py)",
    "ip_requests": "English and Korean intellectual-property requests (verbatim books, lyrics, piracy, counterfeits) "
    "and their benign look-alikes",
    "chat_questions": "Harmful and benign questions in a plain chat register, in English and in Korean translation",
    "comments_en": "English comments: edgy but acceptable ones, and threats, harassment, hate, sexual content",
    "chat_benign": "Benign look-alikes and everyday requests in a plain chat register, in English and Korean",
    "safe_contexts": "Alarming words in safe contexts (games, fiction, sport, figurative language, homonyms) in "
    "English and Korean, and their real-world harmful versions",
    "long_benign": "Long English and Korean texts: stories, lyrics, news, forum posts, emails, pasted documents with a "
    "task, and long harmful ones (threats, hate, scams, doxxing, injections) as their contrast",
    "roleplay_requests": "Benign role-play, persona, game, style and system-prompt-style requests in English and "
    "Korean, and prompt attacks in the same forms",
    "translated_ko": "Korean versions of English harmful requests from permissive train splits (advbench, catqa, "
    "harmfulqa), and benign Korean look-alikes in the same casual forms",
    "casual_harm": "Korean and English questions about violence, revenge, demeaning groups, insults, petty crime and "
    "snooping in a short casual register, and benign look-alikes with the same words",
    "short_ko_harm": "Short Korean requests to kill, burn, bomb or self-harm, first-person suicidal words and illegal "
    "gambling sites, and benign look-alikes with the same words (scripts/make_short_ko_harm.py)",
    "permission_questions": "English and Korean 'should I …?' questions about harmful acts of one's own, the same "
    "forms about contested personal decisions (sensitive) and everyday choices (scripts/make_permission_questions.py)",
    "selfharm_ko": "Korean (and some English) first-person self-harm disclosures: urges, acts, relapses, wanting to "
    "go on; and help-seeking, recovery, helping others, research and figurative uses with the same words",
    "risky_intent": "Korean and English drunk driving, euphemisms for killing a person, insurance fraud, buying drugs "
    "in a named place and a self-harm urge now with a plea for help; and look-alikes with the same words",
}
"""The project's own data, `data/<source>.jsonl` (see data/DATASHEET.md), and what the model card says of it."""
PROJECT_FILES = tuple(f"{source}.jsonl" for source in PROJECT_DATA)
PROJECT_DEV_SHARE = 0.2
"""Share of the project's own data (and of user-supplied extra data) held out as dev: the only
over-refusal contrasts outside the test sets, and the rows that show whether new labels were learnt."""
S14_DEV_SHARE = 0.2
"""CyberSecEval interpreter prompts are the only S14 source: a fixed share of them is dev."""


def project_data_dir() -> Path:
    """`$SLMGUARD_PROJECT_DATA`, else the repository's `data/` folder."""
    env = os.environ.get("SLMGUARD_PROJECT_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "data"


@dataclass
class Corpus:
    """Train and dev examples plus the counts the model card reports."""

    train: list[Example] = field(default_factory=list)
    dev: list[Example] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    dropped_as_test: int = 0


def in_dev_share(key: str, share: float) -> bool:
    """Whether a text key (`leakage.text_key`) falls in the dev `share`: a stable split by hash."""
    return int(key[:8], 16) / 0xFFFFFFFF < share


def read_project_file(path: Path) -> list[Example]:
    """Read one of the project's own JSONL files (already in taxonomy terms)."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            out.append(Example(r["text"], r["label"], tuple(r["categories"]), r["lang"], path.stem, r["id"]))
    return out


def write_project_file(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write rows in the project's JSONL format (UTF-8, one JSON object a line), as the data scripts do."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


Row = TypeVar("Row")


def drop_taken(rows: Iterable[Row], taken: set[str], text: Callable[[Row], str]) -> list[Row]:
    """The rows whose text (by `leakage.text_key`) is neither in `taken` nor repeated; their keys join `taken`."""
    kept = []
    for row in rows:
        if (key := text_key(text(row))) not in taken:
            taken.add(key)
            kept.append(row)
    return kept


def taken_keys(manifest: Manifest, *, writing: str) -> set[str]:
    """Keys of every test-split text and of every project file but `writing`: the texts a script
    that writes project data must not write again (scripts/make_*.py)."""
    keys = set(held_out_keys(manifest))
    for name in PROJECT_FILES:
        path = project_data_dir() / name
        if name != writing and path.is_file():
            keys |= {text_key(e.text) for e in read_project_file(path)}
    return keys


def build_corpus(
    manifest: Manifest | None = None,
    *,
    project_dir: Path | None = None,
    extra: Iterable[Example] = (),
    seed: int = 0,
    progress: Callable[[str], None] = lambda _msg: None,
) -> Corpus:
    """Collect train/dev examples; no row whose normalised text is in a test split gets in.

    Only licence classes in SHIPPABLE_LICENCES are read. Duplicates (same normalised text)
    are kept once, train first.
    """
    manifest = manifest or Manifest()
    rng = random.Random(seed)
    banned = held_out_keys(manifest)
    corpus = Corpus()
    seen: set[str] = set()

    def add(ex: Example, split: str) -> None:
        key = text_key(ex.text)
        if key in banned:
            corpus.dropped_as_test += 1
            return
        if key in seen:
            return
        seen.add(key)
        getattr(corpus, split).append(ex)
        counts = corpus.counts.setdefault(ex.source, {"train": 0, "dev": 0})
        counts[split] += 1

    for role, caps in (("train", TRAIN_CAPS), ("dev", DEV_CAPS)):
        for name, cap in caps.items():
            if name not in manifest.datasets:
                continue
            info = manifest[name]
            if info.licence_class not in SHIPPABLE_LICENCES:
                continue
            progress(f"reading {name} ({role})")
            for ex in _shuffled_examples(manifest, name, role, rng)[:cap]:
                add(ex, "dev" if role == "train" and _dev_share_of_train(name, ex) else role)

    def add_held_out_share(examples: Iterable[Example]) -> None:
        for ex in examples:
            # A variant ("<id>~leet") or a translation ("<id>~ko") follows its original's split, so no
            # pair straddles train and dev.
            key = text_key(ex.id.split("~")[0] or ex.text)
            add(ex, "dev" if in_dev_share(key, PROJECT_DEV_SHARE) else "train")

    project_dir = project_dir or project_data_dir()
    for fname in PROJECT_FILES:
        path = project_dir / fname
        if path.is_file():
            progress(f"reading project data {fname}")
            add_held_out_share(read_project_file(path))
    add_held_out_share(extra)
    return corpus


def _shuffled_examples(manifest: Manifest, name: str, role: str, rng: random.Random) -> list[Example]:
    """A dataset's examples of one role, shuffled: the order the caps take them in."""
    rows = list(manifest.rows(name, role=role))
    if name == "parakqc_ko":  # split by paraphrase set, never by row
        rows = [r for r in rows if r["meta"]["paraphrase_set"] % 10 != 0]
    rng.shuffle(rows)
    return [ex for r in rows if (ex := to_example(name, r)) is not None]


def _dev_share_of_train(name: str, ex: Example) -> bool:
    """Whether a train-role row goes to dev (CyberSecEval's interpreter prompts: S14 has no other dev rows)."""
    return name == "cyberseceval" and in_dev_share(text_key(ex.text), S14_DEV_SHARE)


def unlabelled_texts(
    manifest: Manifest,
    corpus: Corpus,
    *,
    per_source: int,
    seed: int = 0,
    progress: Callable[[str], None] = lambda _msg: None,
) -> list[str]:
    """Train-split texts that `build_corpus` left out by its caps, up to `per_source` of each dataset.

    What a student model distils its teacher's scores on (`slmguard.finetune`): the same licences and
    the same train splits as the corpus, never a text of its train or dev rows or of a test split.
    """
    taken = held_out_keys(manifest) | {text_key(e.text) for e in (*corpus.train, *corpus.dev)}
    rng = random.Random(seed)
    out: list[str] = []
    for name in TRAIN_CAPS:
        if name not in manifest.datasets or manifest[name].licence_class not in SHIPPABLE_LICENCES:
            continue
        progress(f"reading {name} (unlabelled)")
        examples = [ex for ex in _shuffled_examples(manifest, name, "train", rng) if not _dev_share_of_train(name, ex)]
        out += [ex.text for ex in drop_taken(examples, taken, lambda ex: ex.text)[:per_source]]
    return out
