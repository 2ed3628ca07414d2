"""Phrases: the same phrases as gensim's on PTB (default and npmi scoring, connector words), the
compiled paths against the plain one, files, pruning, and the `wordvec phrases` command."""

from __future__ import annotations

import numpy as np
import pytest

from wordvec import ENGLISH_CONNECTOR_WORDS, FrozenPhrases, LineSentence, Phrases, Text8Corpus
from wordvec.cli import main
from wordvec.errors import CorpusError, WordvecError

gensim_phrases = pytest.importorskip("gensim.models.phrases")
from gensim.models.word2vec import LineSentence as GensimLineSentence  # noqa: E402

SETTINGS = [
    {},  # gensim's defaults: min_count 5, threshold 10, default scoring
    {"scoring": "npmi", "threshold": 0.5},
    {"min_count": 3, "threshold": 5.0, "connector_words": ENGLISH_CONNECTOR_WORDS},
    {"min_count": 2, "threshold": 0.3, "scoring": "npmi", "connector_words": ENGLISH_CONNECTOR_WORDS},
]


@pytest.fixture(scope="module")
def ptb_sentences(ptb_train):
    return list(GensimLineSentence(str(ptb_train)))


@pytest.mark.parametrize("settings", SETTINGS, ids=["default", "npmi", "default-connectors", "npmi-connectors"])
def test_same_phrases_as_gensim_on_ptb(ptb_sentences, settings):
    theirs = gensim_phrases.Phrases(ptb_sentences, **settings)
    ours = Phrases(ptb_sentences, **settings)
    assert ours.vocab == theirs.vocab and len(ours) == len(theirs.vocab)
    assert ours.corpus_word_count == theirs.corpus_word_count
    exported, expected = ours.export_phrases(), theirs.export_phrases()
    assert exported.keys() == expected.keys() and len(exported) > 100
    np.testing.assert_allclose([exported[k] for k in expected], list(expected.values()), rtol=1e-12)
    applied = [theirs[s] for s in ptb_sentences]
    assert list(ours[ptb_sentences]) == applied  # the compiled batches
    assert [ours[s] for s in ptb_sentences[:300]] == applied[:300]  # one sentence at a time
    assert list(ours.freeze()[ptb_sentences]) == applied
    assert ours.find_phrases(ptb_sentences[:2000]).keys() == theirs.find_phrases(ptb_sentences[:2000]).keys()


def test_file_paths_give_gensims_output_byte_for_byte(ptb_train, tmp_path):
    theirs = gensim_phrases.Phrases(GensimLineSentence(str(ptb_train)))
    ours = Phrases(LineSentence(ptb_train))  # read by the tokenizer, not iterated in Python
    assert ours.vocab == theirs.vocab
    sentences, joined = ours.freeze().apply(ptb_train, tmp_path / "out.txt")
    expected = "".join(" ".join(s) + "\n" for s in theirs[GensimLineSentence(str(ptb_train))])
    assert (tmp_path / "out.txt").read_text() == expected
    assert sentences == expected.count("\n") and joined == expected.count("_") - (ptb_train.read_text().count("_"))


def test_odd_tokens_take_the_plain_path_with_the_same_result():
    learned = [["new", "york", "is", "big"], ["new", "york", "city"], ["a", "new", "york"]] * 5
    kwargs = dict(min_count=1, threshold=0.1)
    ours, theirs = Phrases(learned, **kwargs), gensim_phrases.Phrases(learned, **kwargs)
    odd = [["a b", "new", "york"], ["new", "york\tcity"], ["new", "york"]]
    assert list(ours[odd]) == [theirs[s] for s in odd]
    # gensim drops an empty word that starts a candidate (it tests the word's truth); wordvec keeps it
    assert ours[["", "new", "york", ""]] == ["", "new_york", ""] and theirs[["", "new", "york", ""]] == ["new_york"]
    assert ours["new york a".split()] == theirs["new york a".split()]
    with pytest.raises(CorpusError, match="whitespace"):  # learning from them would count other words
        Phrases(odd)


def scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count, corpus_word_count):
    """A custom scorer (module level: gensim pickles it)."""
    return bigram_count / (worda_count + wordb_count)


def test_custom_scorer_is_called_as_gensims():
    sentences = [["new", "york", "is", "big"], ["new", "york", "city"], ["big", "city"]] * 4
    ours = Phrases(sentences, min_count=1, threshold=0.2, scoring=scorer)
    theirs = gensim_phrases.Phrases(sentences, min_count=1, threshold=0.2, scoring=scorer)
    assert ours.export_phrases() == pytest.approx(theirs.export_phrases())
    with pytest.raises(WordvecError, match="custom scoring"):
        ours.save("unused.phrases")


def test_save_and_load_both_kinds(tmp_path, ptb_sentences):
    model = Phrases(ptb_sentences[:5000], min_count=2, threshold=2.0, connector_words=ENGLISH_CONNECTOR_WORDS)
    model.save(tmp_path / "p.phrases")
    loaded = Phrases.load(tmp_path / "p.phrases")
    assert isinstance(loaded, Phrases) and loaded.vocab == model.vocab
    assert loaded.export_phrases() == model.export_phrases()
    loaded.add_vocab(ptb_sentences[5000:6000])  # a loaded model keeps learning
    assert len(loaded) > len(model)
    frozen = model.freeze()
    frozen.save(tmp_path / "f.phrases")
    again = Phrases.load(tmp_path / "f.phrases")
    assert isinstance(again, FrozenPhrases) and again.phrasegrams == frozen.phrasegrams
    assert list(again[ptb_sentences[:500]]) == list(model[ptb_sentences[:500]])
    data = (tmp_path / "p.phrases").read_bytes()
    (tmp_path / "cut.phrases").write_bytes(data[: len(data) // 2])
    with pytest.raises(WordvecError, match="not a readable wordvec phrases model") as info:
        Phrases.load(tmp_path / "cut.phrases")
    assert "\n" not in str(info.value)


def test_add_vocab_equals_learning_everything_at_once(ptb_sentences):
    whole = Phrases(ptb_sentences[:4000], min_count=2, threshold=3.0)
    parts = Phrases(ptb_sentences[:1500], min_count=2, threshold=3.0)
    parts.add_vocab(ptb_sentences[1500:4000])
    assert parts.vocab == whole.vocab and parts.export_phrases() == whole.export_phrases()


def test_max_vocab_size_bounds_the_table(ptb_sentences):
    full = Phrases(ptb_sentences)
    capped = Phrases(ptb_sentences, max_vocab_size=50_000)
    assert len(capped) <= 50_000 < len(full) and capped.min_reduce > 1
    vocab, kept = full.vocab, capped.vocab
    frequent = [k for k, count in vocab.items() if count >= 50]
    assert frequent and all(kept[k] == vocab[k] for k in frequent)  # pruning drops rare entries, not these


def test_settings_are_checked():
    for bad in ({"min_count": 0}, {"threshold": 0}, {"scoring": "npmi", "threshold": 2}, {"scoring": "pmi"},
                {"delimiter": " "}, {"max_vocab_size": 0}):
        with pytest.raises(ValueError):
            Phrases(**bad)


def test_text8corpus_and_linesentence_match_gensims(tmp_path):
    from gensim.models.word2vec import Text8Corpus as GensimText8

    path = tmp_path / "t8.txt"
    words = [f"w{i % 97}" for i in range(25_013)]
    path.write_text(" ".join(words) + "\n")
    assert list(Text8Corpus(path, 1000)) == list(GensimText8(str(path), 1000))
    assert list(LineSentence(path, max_sentence_length=777)) == list(GensimLineSentence(str(path), 777))


def test_cli_phrases(ptb_train, tmp_path, capsys):
    out = tmp_path / "ptb.phr"
    assert main(["phrases", str(ptb_train), "--out", str(out), "--save", str(tmp_path / "p.phrases"), "-q"]) == 0
    model = Phrases.load(tmp_path / "p.phrases")
    model.apply(ptb_train, tmp_path / "again.phr")
    assert out.read_bytes() == (tmp_path / "again.phr").read_bytes() and b"new_york" in out.read_bytes()
    assert main(["phrases", str(ptb_train), "--out", str(tmp_path / "two.phr"), "--passes", "2", "-q"]) == 0
    assert any(token.count("_") >= 2 for token in (tmp_path / "two.phr").read_text().split())
    assert main(["phrases", str(ptb_train), "--out", str(tmp_path / "x"), "--scoring", "npmi",
                 "--threshold", "3"]) == 2
    assert main(["phrases", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "y")]) == 1
    assert main(["phrases", str(out), "--out", str(out)]) == 2  # would destroy the corpus
    assert main(["phrases", str(ptb_train), "--out", str(tmp_path / "z"), "--save", str(tmp_path / "z")]) == 2
    assert main(["phrases", str(ptb_train), "--out", str(tmp_path / "z"), "--delimiter", "\udcff"]) == 2
    err = capsys.readouterr().err
    assert err.count("wordvec: error:") == 5 and "Traceback" not in err
