from portal.core.logging import redact_path
from portal.core.security import hash_secret, new_secret


def test_supplier_link_tokens_never_reach_the_logs():
    assert redact_path("/respond/abc123SECRET/section/2") == "/respond/***/section/2"
    assert redact_path("/api/v1/respond/abc123SECRET") == "/api/v1/respond/***"
    assert redact_path("/api/v1/suppliers/3") == "/api/v1/suppliers/3"


def test_tokens_are_long_random_and_hashed():
    a, b = new_secret(), new_secret()
    assert a != b
    assert len(a.split("_", 1)[1]) >= 43  # 32 bytes, base64url
    assert hash_secret(a) != a and len(hash_secret(a)) == 64


def test_link_tokens_are_redacted_however_the_path_is_spelled():
    for path in ["/respon%64/abc123SECRET", "/RESPOND/abc123SECRET", "/Respond/abc123SECRET/x",
                 "/respon%2564/abc123SECRET", "/api/v1/respon%64/abc123SECRET/answers/q",
                 "/respond//abc123SECRET", "/respond/abc%31%32%33SECRET"]:
        redacted = redact_path(path)
        assert "SECRET" not in redacted and "/respond/***" in redacted, (path, redacted)


def test_a_token_is_redacted_wherever_it_sits_in_the_path():
    import secrets

    from portal.core.logging import redact_path

    token = secrets.token_urlsafe(32)
    for path in (f"/respond/./{token}", f"/respond/%2e/{token}", f"/respond/x/{token}",
                 f"/api/v1/respond/{token}/answers/{token}", f"/respond;{token}"):
        assert token not in redact_path(path), path
    kept = "/api/v1/respond/***/answers/cyber_essentials_certificate_and_its_scope_text"
    assert redact_path(kept) == kept
