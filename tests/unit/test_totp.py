import base64
import hashlib

from portal.core.totp import code_at, new_secret, provisioning_uri, verify

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


def test_rfc6238_vectors():
    for seconds, expected in [(59, "94287082"), (1111111109, "07081804"), (1234567890, "89005924"),
                              (2000000000, "69279037")]:
        assert code_at(RFC_SECRET, seconds // 30, digits=8, digest=hashlib.sha1) == expected


def test_verify_allows_one_step_of_drift_and_refuses_reuse():
    secret = new_secret()
    now = 1_700_000_000
    code = code_at(secret, now // 30)
    step = verify(secret, code, now=now)
    assert step == now // 30
    assert verify(secret, code, now=now + 30) == step  # still accepted a step later
    assert verify(secret, code, now=now + 90) is None  # too late
    assert verify(secret, code, last_step=step, now=now) is None  # no replay
    assert verify(secret, "12345", now=now) is None and verify(secret, "abcdef", now=now) is None


def test_provisioning_uri_names_the_account():
    uri = provisioning_uri("ABC", account="iglead", issuer="Supplier assurance")
    assert uri.startswith("otpauth://totp/Supplier%20assurance:iglead?secret=ABC")


def test_only_ascii_digits_are_a_code():
    from portal.core import totp

    secret = totp.new_secret()
    good = totp.code_at(secret, totp.current_step())
    arabic = good.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    full_width = good.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert totp.verify(secret, good) is not None
    for code in (arabic, full_width, "²" * 6, good[:5] + "é"):
        assert totp.verify(secret, code) is None
