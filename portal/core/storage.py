"""Evidence storage behind one small interface: local disk (default) or S3 via boto3.

Keys are built from the content hash, never from a name a user sent, so a file name can't
reach outside the store and the same file uploaded twice is stored once.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from portal.core.downloads import content_disposition
from portal.core.errors import ServiceUnavailable
from portal.settings import Settings, get_settings


def key_for(sha256: str) -> str:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError("storage keys come from a sha256 hex digest")
    return f"evidence/{sha256[:2]}/{sha256}"


class EvidenceStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...
    async def get(self, key: str) -> bytes: ...
    def download_url(self, key: str, filename: str, content_type: str) -> str | None: ...


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("key escapes the store")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves half a file under the final name.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    async def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def download_url(self, key: str, filename: str, content_type: str) -> str | None:
        return None  # streamed by the portal itself


class S3Store:
    def __init__(self, settings: Settings) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = settings.s3_bucket
        self.client = boto3.client(
            "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region,
            config=Config(
                retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=3,
                read_timeout=20,
                request_checksum_calculation=settings.s3_checksums,
                response_checksum_validation=settings.s3_checksums,
            ),
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            await asyncio.to_thread(self.client.put_object, Bucket=self.bucket, Key=key,
                                    Body=data, ContentType=content_type)
        except Exception as error:  # botocore raises many kinds; all mean "not stored"
            raise ServiceUnavailable("The evidence store is unavailable; your file was not "
                                     "saved. Try again in a few minutes.") from error

    async def get(self, key: str) -> bytes:
        try:
            response = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=key)
            return await asyncio.to_thread(response["Body"].read)
        except Exception as error:
            raise ServiceUnavailable("The evidence store is unavailable.") from error

    def download_url(self, key: str, filename: str, content_type: str) -> str | None:
        return self.client.generate_presigned_url(
            "get_object", ExpiresIn=300,
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type,
                    "ResponseContentDisposition": content_disposition(filename)})


@lru_cache(maxsize=1)
def evidence_store() -> EvidenceStore:
    settings = get_settings()
    if settings.s3_bucket:
        return S3Store(settings)
    return LocalStore(settings.evidence_path)
