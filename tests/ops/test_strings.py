"""String tensors and tf.strings: the chapter's examples, Unicode round trips over random code
points (hypothesis), TensorFlow's hash buckets for a table of strings, and the text ops.

Expected values come from the chapter (quoted), Python's str/bytes/codecs, TensorFlow's
documentation examples, or tests/fixtures/hash_buckets.json (made with real TensorFlow by
tests/fixtures/make_hash_buckets.py).
"""

import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf

_FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "hash_buckets.json")


# -- the chapter ------------------------------------------------------------------------------
def test_chapter_strings_are_utf8_bytes():
    assert tf.constant(b"hello world").numpy() == b"hello world"
    assert tf.constant("café").numpy() == b"caf\xc3\xa9"
    u = tf.constant([ord(c) for c in "café"])
    assert u.numpy().tolist() == [99, 97, 102, 233]
    b = tf.strings.unicode_encode(u, "UTF-8")
    assert b.numpy() == b"caf\xc3\xa9"
    assert int(tf.strings.length(b, unit="UTF8_CHAR")) == 4
    assert int(tf.strings.length(b)) == 5
    assert tf.strings.unicode_decode(b, "UTF-8").numpy().tolist() == [99, 97, 102, 233]


def test_chapter_string_arrays_and_ragged_decoding():
    p = tf.constant(["Café", "Coffee", "caffè", "咖啡"])
    assert tf.strings.length(p, unit="UTF8_CHAR").numpy().tolist() == [4, 6, 5, 2]
    r = tf.strings.unicode_decode(p, "UTF8")
    assert isinstance(r, tf.RaggedTensor)
    assert r.to_list() == [[ord(c) for c in w] for w in ["Café", "Coffee", "caffè", "咖啡"]]
    # printed by TensorFlow 2.21
    assert repr(r) == ("<tf.RaggedTensor [[67, 97, 102, 233], [67, 111, 102, 102, 101, 101],\n"
                       " [99, 97, 102, 102, 232], [21654, 21857]]>")
    assert r[1].numpy().tolist() == [67, 111, 102, 102, 101, 101]
    assert r[1:3].to_list() == [[67, 111, 102, 102, 101, 101], [99, 97, 102, 102, 232]]
    r2 = tf.ragged.constant([[65, 66], [], [67]])
    assert tf.concat([r, r2], axis=0).to_list()[4:] == [[65, 66], [], [67]]
    r3 = tf.ragged.constant([[68, 69, 70], [71], [], [72, 73]])
    assert tf.concat([r, r3], axis=1).to_list()[0] == [67, 97, 102, 233, 68, 69, 70]
    assert tf.strings.unicode_encode(r3, "UTF-8").numpy().tolist() == [b"DEF", b"G", b"",
                                                                       b"HI"]
    assert r.to_tensor().shape == tf.TensorShape([4, 6])


def test_string_operators_and_math_errors():
    s = tf.constant(["a", "b"])
    assert (s + "x").numpy().tolist() == [b"ax", b"bx"]
    assert (s == "a").numpy().tolist() == [True, False]
    assert (s != tf.constant("a")).numpy().tolist() == [False, True]
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        s * s
    text = str(info.value)
    assert text.startswith("Value for attr 'T' of string is not in the list of allowed values")
    assert "tf.strings.to_number" in text
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.reduce_sum(s)


# -- Unicode round trips ----------------------------------------------------------------------
_POINTS = st.lists(st.integers(0, 0x10FFFF).filter(lambda c: not 0xD800 <= c <= 0xDFFF),
                   max_size=20)


@settings(max_examples=60, deadline=None)
@given(_POINTS)
def test_encode_decode_round_trip(points):
    for encoding in ("UTF-8", "UTF-16-BE", "UTF-32-BE"):
        encoded = tf.strings.unicode_encode(tf.constant(points, tf.int32), encoding)
        assert encoded.numpy() == "".join(map(chr, points)).encode(encoding.lower())
        decoded = tf.strings.unicode_decode(encoded, encoding)
        assert decoded.numpy().tolist() == points


@settings(max_examples=60, deadline=None)
@given(st.lists(_POINTS, max_size=5))
def test_transcode_and_split_round_trip(rows):
    texts = ["".join(map(chr, r)) for r in rows]
    t = tf.constant([x.encode("utf-8") for x in texts], tf.string)
    utf16 = tf.strings.unicode_transcode(t, "UTF-8", "UTF-16-BE")
    assert utf16.numpy().tolist() == [x.encode("utf-16-be") for x in texts]
    back = tf.strings.unicode_transcode(utf16, "UTF-16-BE", "UTF-8")
    assert back.numpy().tolist() == [x.encode("utf-8") for x in texts]
    chars = tf.strings.unicode_split(t, "UTF-8")
    assert chars.to_list() == [[c.encode("utf-8") for c in x] for x in texts]
    points, offsets = tf.strings.unicode_decode_with_offsets(t, "UTF-8")
    assert points.to_list() == rows
    assert offsets.to_list() == [[len(x[:i].encode("utf-8")) for i in range(len(x))]
                                 for x in texts]


def test_decode_errors_and_replacement():
    bad = tf.constant([b"a\xffb"])
    assert tf.strings.unicode_decode(bad, "UTF-8").to_list() == [[97, 0xFFFD, 98]]
    assert tf.strings.unicode_decode(bad, "UTF-8", errors="ignore").to_list() == [[97, 98]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid formatting on input "
                                                             "string"):
        tf.strings.unicode_decode(bad, "UTF-8", errors="strict")
    assert tf.strings.unicode_encode([99, 0x110000], "UTF-8").numpy() == b"c\xef\xbf\xbd"
    assert tf.strings.unicode_decode(["a\tb"], "UTF-8", replace_control_characters=True,
                                     replacement_char=63).to_list() == [[97, 63, 98]]


def test_unicode_script_uses_icu_codes():
    # ICU UScriptCode, from TensorFlow's documentation: Han 17, Cyrillic 8, Latin 25
    assert tf.strings.unicode_script([33464, 1041, 65, 48]).numpy().tolist() == [17, 8, 25, 0]
    assert tf.strings.unicode_script([-1, 0x110000]).numpy().tolist() == [-1, -1]


# -- hash buckets equal TensorFlow's ------------------------------------------------------------
def test_hash_buckets_equal_tensorflows():
    with open(_FIXTURE, encoding="utf-8") as f:
        table = json.load(f)
    words = tf.constant(table["strings"])
    for n, buckets in table["buckets"].items():
        n = int(n)
        assert tf.strings.to_hash_bucket_fast(words, n).numpy().tolist() == buckets["fast"]
        assert tf.strings.to_hash_bucket(words, n).numpy().tolist() == buckets["legacy"]
        assert tf.strings.to_hash_bucket_strong(words, n, [17, 42]).numpy().tolist() == \
            buckets["strong"]


def test_hash_bucket_documentation_example():
    # tf.strings.to_hash_bucket_fast's documentation
    assert tf.strings.to_hash_bucket_fast(["Hello", "TensorFlow", "2.x"], 3).numpy().tolist() \
        == [0, 2, 2]


# -- split, join, substr and friends ------------------------------------------------------------
def test_split_and_join():
    assert tf.strings.split(["a b  c", " d"]).to_list() == [[b"a", b"b", b"c"], [b"d"]]
    assert tf.strings.split(["a,b,,c"], sep=",").to_list() == [[b"a", b"b", b"", b"c"]]
    assert tf.strings.split(["a b c d"], maxsplit=1).to_list() == [[b"a", b"b c d"]]
    assert tf.strings.split("a b").numpy().tolist() == [b"a", b"b"]
    assert tf.strings.split([["a b"], ["c"]]).to_list() == [[[b"a", b"b"]], [[b"c"]]]
    assert tf.strings.join([["a", "b"], ["c", "d"]], separator="-").numpy().tolist() == \
        [b"a-c", b"b-d"]
    x = [["a", "b"], ["c", "d"]]
    assert tf.strings.reduce_join(x).numpy() == b"abcd"
    assert tf.strings.reduce_join(x, axis=1, separator="+").numpy().tolist() == [b"a+b",
                                                                                 b"c+d"]
    assert tf.strings.reduce_join(x, axis=0, keepdims=True).numpy().tolist() == [[b"ac",
                                                                                  b"bd"]]
    assert tf.strings.bytes_split(["ab", "c"]).to_list() == [[b"a", b"b"], [b"c"]]


def test_substr_case_strip_regex():
    assert tf.strings.substr(["Hello", "café"], 1, 3).numpy().tolist() == [b"ell", b"af\xc3"]
    assert tf.strings.substr(["Hello", "café"], 1, 3, unit="UTF8_CHAR").numpy().tolist() == \
        [b"ell", "afé".encode()]
    assert tf.strings.substr(["Hello"], -3, 2).numpy().tolist() == [b"ll"]
    assert tf.strings.substr(["Hello", "World"], [0, 1], [1, 2]).numpy().tolist() == [b"H",
                                                                                      b"or"]
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="pos 7 out of range for string b'Hello' at index 0"):
        tf.strings.substr(["Hello"], 7, 2)
    assert tf.strings.upper(["café"]).numpy().tolist() == ["CAFé".encode()]
    assert tf.strings.upper(["café"], encoding="utf-8").numpy().tolist() == ["CAFÉ".encode()]
    assert tf.strings.lower(["CAFÉ"]).numpy().tolist() == ["cafÉ".encode()]
    assert tf.strings.strip([" \ta b\n "]).numpy().tolist() == [b"a b"]
    assert tf.strings.regex_full_match(["abc", "abd"], "ab[c]").numpy().tolist() == [True,
                                                                                     False]
    assert tf.strings.regex_replace(["abc abc"], "b(c)", r"X\1").numpy().tolist() == \
        [b"aXc aXc"]
    assert tf.strings.regex_replace(["abc abc"], "b(c)", r"<\0>",
                                    replace_global=False).numpy().tolist() == [b"a<bc> abc"]
    assert tf.strings.regex_full_match(["é"], ".").numpy().tolist() == [True]  # UTF-8 chars


def test_numbers_and_formatting():
    np.testing.assert_array_equal(tf.strings.to_number(["1.5", "2"]).numpy(), [1.5, 2.])
    assert tf.strings.to_number(["15", "-2"], out_type=tf.int32).numpy().tolist() == [15, -2]
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="StringToNumberOp could not correctly convert string: abc"):
        tf.strings.to_number(["abc"])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.strings.to_number(["1.5"], out_type=tf.int32)
    x = [3.14159, 2.0]
    assert tf.strings.as_string(x).numpy().tolist() == [b"3.141590", b"2.000000"]
    assert tf.strings.as_string(x, precision=2).numpy().tolist() == [b"3.14", b"2.00"]
    assert tf.strings.as_string(x + [1e20], shortest=True).numpy().tolist() == \
        [b"3.14159", b"2", b"1e+20"]
    assert tf.strings.as_string([3.14159], scientific=True).numpy().tolist() == \
        [b"3.141590e+00"]
    assert tf.strings.as_string([3, 42], width=5, fill="0").numpy().tolist() == [b"00003",
                                                                                b"00042"]
    assert tf.strings.as_string([True, False]).numpy().tolist() == [b"true", b"false"]
    assert tf.strings.format("x={}, y={}", (tf.constant([1, 2]), tf.constant("hi"))).numpy() \
        == b'x=[1 2], y="hi"'
    assert tf.strings.format("{}", tf.range(10)).numpy() == b"[0 1 2 ... 7 8 9]"
    with pytest.raises(ValueError, match="num placeholders"):
        tf.strings.format("{} {}", tf.constant(1))


def test_ngrams():
    assert tf.strings.ngrams(["a", "b", "c", "d"], 2).numpy().tolist() == [b"a b", b"b c",
                                                                          b"c d"]
    rt = tf.ragged.constant([["a", "b", "c"], ["d"]])
    assert tf.strings.ngrams(rt, 2).to_list() == [[b"a b", b"b c"], []]
    assert tf.strings.ngrams(rt, 2, pad_values=("<s>", "</s>")).to_list() == [
        [b"<s> a", b"a b", b"b c", b"c </s>"], [b"<s> d", b"d </s>"]]
    assert tf.strings.ngrams(rt, 3, preserve_short_sequences=True).to_list() == [[b"a b c"],
                                                                                 [b"d"]]
    assert tf.strings.ngrams(["a", "b", "c"], (1, 2)).numpy().tolist() == [b"a", b"b", b"c",
                                                                           b"a b", b"b c"]


def test_base64():
    assert tf.io.encode_base64(["hello?>", "a"]).numpy().tolist() == [b"aGVsbG8_Pg", b"YQ"]
    assert tf.io.encode_base64(["a"], pad=True).numpy().tolist() == [b"YQ=="]
    assert tf.io.decode_base64(["aGVsbG8_Pg", "YQ=="]).numpy().tolist() == [b"hello?>", b"a"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="1 modulo 4"):
        tf.io.decode_base64(["a"])


def test_string_ops_inside_tf_function():
    @tf.function
    def clean(s):
        words = tf.strings.split(tf.strings.lower(tf.strings.strip(s)))
        return tf.strings.reduce_join(words, axis=1, separator="_"), tf.strings.length(s)

    joined, lengths = clean(tf.constant([" Hello World ", "A b"]))
    assert joined.numpy().tolist() == [b"hello_world", b"a_b"]
    assert lengths.numpy().tolist() == [13, 3]
