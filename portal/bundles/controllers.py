"""Bundle API: export, the published keys, the trust list and import."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from portal.bundles import keys, service
from portal.bundles.schemas import (
    BundleEnvelope,
    ReusedAssessmentOut,
    SigningKeyOut,
    SigningKeysOut,
    TrustedIssuerIn,
    TrustedIssuerOut,
    issuer_out,
    reused_out,
)
from portal.core.context import current_actor
from portal.core.downloads import content_disposition
from portal.core.permissions import READ
from portal.core.schemas import MAX_ID

Id = Annotated[int, Parameter(gt=0, le=MAX_ID)]
REVIEW = {"permission": "assessments.review"}
TRUST = {"permission": "organisation.write"}


@get("/.well-known/portal-signing-keys.json", opt={"public": True}, tags=["Bundles"],
     summary="This organisation's bundle-signing public keys (active and retired)")
async def signing_keys() -> SigningKeysOut:
    org = await service.organisation()
    return SigningKeysOut(organisation=org["name"], ods_code=org["ods_code"],
                          keys=[SigningKeyOut(**k.as_dict()) for k in keys.all_keys()])


class BundleController(Controller):
    path = "/api/v1"
    tags = ["Bundles"]

    @get("/assessments/{assessment_id:int}/bundle", opt={"permission": READ},
         summary="The signed answer bundle of an accepted assessment (409 otherwise)")
    async def export(self, assessment_id: Id,
                     files: Annotated[bool, Parameter(description="include evidence bytes")] = False
                     ) -> Response[BundleEnvelope]:
        signed = await service.build(assessment_id, include_files=files)
        return Response(BundleEnvelope.model_validate(signed), headers={
            "content-disposition": content_disposition(f"assessment-{assessment_id}-bundle.json")})

    @post("/bundles", opt=REVIEW, status_code=201,
          summary="Import another organisation's signed bundle as a reused assessment")
    async def import_bundle(self, request: Request) -> Response[ReusedAssessmentOut]:
        document = service.parse_file(await request.body())
        row, created = await service.import_bundle(document, actor=current_actor().name)
        return Response(reused_out(row, created=created), status_code=201 if created else 200)

    @get("/reused-assessments/{reused_id:int}", opt={"permission": READ},
         summary="A reused assessment with its provenance")
    async def reused(self, reused_id: Id) -> ReusedAssessmentOut:
        return reused_out(await service.get_reused(reused_id))

    @get("/trusted-issuers", opt={"permission": READ}, summary="The organisations whose keys we trust")
    async def issuers(self) -> list[TrustedIssuerOut]:
        return [issuer_out(r) for r in await service.list_issuers()]

    @post("/trusted-issuers", opt=TRUST, summary="Trust another organisation's signing key "
                                                  "(the fingerprint you were given must match)")
    async def add_issuer(self, data: TrustedIssuerIn) -> TrustedIssuerOut:
        return issuer_out(await service.add_issuer(
            organisation_name=data.organisation_name, ods_code=data.ods_code,
            public_key=data.public_key, fingerprint=data.fingerprint, actor=current_actor().name))

    @post("/trusted-issuers/{issuer_id:int}/revoke", opt=TRUST, status_code=200,
          summary="Stop trusting a key (bundles already imported stay, with their provenance)")
    async def revoke_issuer(self, issuer_id: Id) -> TrustedIssuerOut:
        return issuer_out(await service.revoke_issuer(issuer_id))
