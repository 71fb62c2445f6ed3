"""Every API handler returns a declared schema: no 2xx JSON answer is documented as an
untyped object, and downloads say what they are."""

from __future__ import annotations

from tests.integration.conftest import app


def _untyped(schema: dict) -> bool:
    if "$ref" in schema or "oneOf" in schema or "anyOf" in schema:
        return False
    if schema.get("type") == "array":
        return _untyped(schema.get("items", {}))
    return not schema.get("properties") and schema.get("type") in ("object", None)


def test_every_json_answer_has_a_declared_schema():
    spec = app().openapi_schema.to_schema()
    untyped, operations = [], 0
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            operations += 1
            for code, response in operation.get("responses", {}).items():
                for media_type, content in response.get("content", {}).items():
                    if code.startswith("2") and "json" in media_type \
                            and _untyped(content.get("schema", {})):
                        untyped.append(f"{method.upper()} {path} {code}")
    assert operations > 40
    assert untyped == []


def test_downloads_declare_their_media_type():
    spec = app().openapi_schema.to_schema()
    for path in ("/api/v1/reports/dspt-evidence.docx", "/api/v1/reports/register.csv",
                 "/api/v1/suppliers/{supplier_id}/report.docx"):
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert not any("json" in media_type for media_type in content), path
