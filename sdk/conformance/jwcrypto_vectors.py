#!/usr/bin/env python3
"""Envelope version 2 with an independent JOSE implementation: Python's jwcrypto.

Written from docs/envelope.md alone, as an agency system in another language would be.

  python3 jwcrypto_vectors.py open  vectors.json   -> one outcome per case (JSON on stdout)
  python3 jwcrypto_vectors.py seal  vectors.json   -> envelopes sealed here for the valid v2
                                                      cases (JSON on stdout), for the SDK to open
  python3 jwcrypto_vectors.py open-one vectors.json < case.json -> the outcome of one case

Outcomes are {"ok": true, "document": ..., "metadata": ...} or {"ok": false, "error": code,
"field": member}; the codes are the ones docs/envelope.md gives for each check.
"""
import json
import re
import sys
import uuid

from jwcrypto import jwe, jwk, jws

KEY_ALG = "ECDH-ES+A256KW"
ENC = "A256GCM"
TYP = {
    "referral": "referral+jwt",
    "message": "referral-message+jwt",
    "field_request": "field-request+jwt",
}
KIND_BY_TYP = {v: k for k, v in TYP.items()}
BUCKETS = [2048, 8192, 32768, 131072, 524288, 1048576]
AAD_MEMBERS = {
    "referral": ["v", "kind", "referralId", "senderUnitId", "recipientUnitId", "copyUnitIds",
                 "category", "urgency", "ageBand", "gender", "citizenshipGroup",
                 "municipalityCode", "legalBasis", "forwardedFromId", "iat"],
    "message": ["v", "kind", "referralId", "messageId", "senderUnitId", "recipientUnitIds", "iat"],
    "field_request": ["v", "kind", "fieldRequestId", "operationId", "requesterUnitId",
                      "participantUnitIds", "urgency", "neededBy", "estimatedPersons",
                      "languages", "flags", "iat"],
}
OWN_ID = {"referral": "referralId", "message": "messageId", "field_request": "fieldRequestId"}


class Refused(Exception):
    def __init__(self, code, field=None):
        super().__init__(code)
        self.code = code
        self.field = field


def canonical(value):
    """RFC 8785 for the values an envelope holds (strings, integers, booleans, null)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def b64d(text):
    return jwk.base64url_decode(text)


def b64e(data):
    return jwk.base64url_encode(data)


def routing(meta):
    """(id, sender, sorted addressed units) of v2 metadata."""
    kind = meta["kind"]
    if kind == "referral":
        return meta["referralId"], meta["senderUnitId"], sorted(
            [meta["recipientUnitId"], *meta["copyUnitIds"]])
    if kind == "message":
        return meta["referralId"], meta["senderUnitId"], sorted(meta["recipientUnitIds"])
    return meta["fieldRequestId"], meta["requesterUnitId"], sorted(meta["participantUnitIds"])


# ----- the hub's directory: unit keys signed by the organisation's pinned root ---------------

def trusted_signing_keys(key_set, pins):
    """The sender unit's Ed25519 keys that its organisation's pinned root key signed."""
    org = key_set["organisationId"]
    pinned = pins.get(org)
    if not pinned:
        raise Refused("untrusted_key")
    out = []
    for key in key_set["keys"]:
        if key.get("status") == "revoked" or key.get("use") != "sig":
            continue
        statement = jws.JWS()
        statement.deserialize(key["signed"])
        header = statement.jose_header
        if header.get("alg") != "EdDSA" or header.get("typ") != "unit-key+jws":
            raise Refused("untrusted_key")
        root = next((r for r in key_set["rootKeys"] if r["kid"] == header.get("kid")), None)
        if root is None or root["organisationId"] != org or root["status"] != "active":
            raise Refused("untrusted_key")
        root_key = jwk.JWK(kty="OKP", crv="Ed25519", x=root["jwk"]["x"])
        fingerprint = root_key.thumbprint()
        if fingerprint != root["kid"] or fingerprint not in pinned:
            raise Refused("untrusted_key")
        try:
            statement.verify(root_key, alg="EdDSA")
        except Exception:
            raise Refused("untrusted_key")
        payload = json.loads(statement.payload)
        if (payload.get("unit") != key_set["unitId"] or payload.get("org") != org
                or payload.get("use") != "sig" or payload["jwk"]["x"] != key["jwk"]["x"]):
            raise Refused("untrusted_key")
        unit_key = jwk.JWK(kty="OKP", crv="Ed25519", x=payload["jwk"]["x"])
        if unit_key.thumbprint() != key["kid"]:
            raise Refused("untrusted_key")
        out.append((key["kid"], unit_key))
    return out


# ----- opening -------------------------------------------------------------------------------

def shape(envelope):
    """Version, kind, routing and metadata of an envelope, from its clear parts only."""
    if set(envelope) != {"protected", "aad", "iv", "ciphertext", "tag", "recipients"}:
        raise Refused("malformed")
    protected = json.loads(b64d(envelope["protected"]))
    if set(protected) != {"enc", "cty"} or protected["enc"] != ENC:
        raise Refused("malformed")
    aad_text = b64d(envelope["aad"]).decode("utf-8")
    aad = json.loads(aad_text)
    if canonical(aad) != aad_text:
        raise Refused("malformed")
    if protected["cty"] == "JWT":
        if aad.get("v") != 2 or aad.get("kind") not in AAD_MEMBERS:
            raise Refused("malformed", "v")
        if set(aad) != set(AAD_MEMBERS[aad["kind"]]):
            raise Refused("malformed")
        rid, sender, to = routing(aad)
        return 2, aad["kind"], rid, sender, to, aad["iat"], aad, aad_text
    if protected["cty"] in KIND_BY_TYP and set(aad) == {"rid", "from", "to", "iat"}:
        return 1, KIND_BY_TYP[protected["cty"]], aad["rid"], aad["from"], sorted(aad["to"]), \
            aad["iat"], None, aad_text
    raise Refused("malformed")


def open_envelope(case, vectors):
    envelope = case["envelope"]
    opener = case["opener"]
    directory = case.get("directory") or vectors["directory"]
    own = vectors["privateKeys"][opener]["enc"]

    version, kind, rid, sender, to, iat, meta, aad_text = shape(envelope)
    if case["expected"]["kind"] != kind:
        raise Refused("wrong_kind")
    if case["expected"]["rid"] != rid:
        raise Refused("wrong_referral")
    mine = [r for r in envelope["recipients"] if r["header"].get("kid") == own["kid"]]
    if not mine:
        raise Refused("not_a_recipient")
    token = jwe.JWE()
    try:
        token.deserialize(json.dumps({**envelope, "recipients": mine}), key=jwk.JWK(**own))
    except Exception:
        raise Refused("decryption_failed")
    plaintext = token.payload.decode("utf-8")

    if version == 2:
        if not re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", plaintext):
            raise Refused("malformed")
        compact = plaintext
    else:
        wrapper = json.loads(plaintext)
        if set(wrapper) != {"v", "jws", "pad"} or wrapper["v"] != 1:
            raise Refused("malformed")
        compact = wrapper["jws"]

    signed = jws.JWS()
    signed.deserialize(compact)
    header = signed.jose_header
    if header.get("typ") != TYP[kind]:
        raise Refused("wrong_kind")
    if header.get("alg") != "EdDSA" or not isinstance(header.get("kid"), str):
        raise Refused("bad_signature")
    key_set = next((s for s in directory["units"] if s["unitId"] == sender), None)
    if key_set is None:
        raise Refused("untrusted_key")
    keys = dict(trusted_signing_keys(key_set, vectors["pins"]))
    if header["kid"] not in keys:
        raise Refused("bad_signature")
    try:
        signed.verify(keys[header["kid"]], alg="EdDSA")
    except Exception:
        raise Refused("bad_signature")
    claims = json.loads(signed.payload)
    aud = claims.get("aud")
    aud = [aud] if isinstance(aud, str) else aud
    if not all(isinstance(claims.get(c), str) for c in ("iss", "sub", "jti")) \
            or not isinstance(claims.get("iat"), int) or not isinstance(aud, list) \
            or not isinstance(claims.get("doc"), dict):
        raise Refused("malformed")
    if claims["iss"] != sender:
        raise Refused("aad_mismatch", "iss")
    if sorted(aud) != to:
        raise Refused("aad_mismatch", "aud")
    if claims["sub"] != rid:
        raise Refused("aad_mismatch", "sub")
    if claims["iat"] != iat:
        raise Refused("aad_mismatch", "iat")
    if version == 2 and (not isinstance(claims.get("aad"), dict)
                         or canonical(claims["aad"]) != aad_text):
        raise Refused("aad_mismatch", "aad")
    if opener not in to and opener != sender:
        raise Refused("not_a_recipient")

    record = case["record"]
    if version == 2:
        for member in AAD_MEMBERS[kind]:
            if member in ("v", "kind", "iat"):
                continue
            shown = record.get(member, record.get("id")) if member == OWN_ID[kind] \
                else record.get(member)
            if not same(member, meta[member], shown):
                raise Refused("record_mismatch", member)
    elif record.get("senderUnitId", record.get("requesterUnitId")) != sender:
        raise Refused("record_mismatch", "senderUnitId")
    return {"ok": True, "document": claims["doc"], "metadata": meta}


def same(member, signed, shown):
    if member.endswith("UnitIds") and isinstance(signed, list) and isinstance(shown, list):
        return sorted(signed) == sorted(shown)
    if member == "neededBy" and isinstance(signed, str) and isinstance(shown, str):
        from datetime import datetime
        parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))
        return parse(signed) == parse(shown)
    return signed is not None and shown is not None and canonical(signed) == canonical(shown) \
        or signed is None and shown is None


def outcome(case, vectors):
    try:
        return open_envelope(case, vectors)
    except Refused as refused:
        result = {"ok": False, "error": refused.code}
        if refused.field:
            result["field"] = refused.field
        return result


# ----- sealing -------------------------------------------------------------------------------

def sign_padded(claims, header, key):
    """The compact JWS with a `pad` claim of spaces filling it up to its size bucket."""
    header_len = len(b64e(json.dumps(header, separators=(",", ":")).encode()))
    def compact_len(n):
        return header_len + 1 + -(-4 * n // 3) + 1 + 86
    def payload(pad):
        return json.dumps({**claims, "pad": " " * pad}, separators=(",", ":"),
                          ensure_ascii=False).encode("utf-8")
    bare = len(payload(0))
    bucket = next(b for b in BUCKETS if b >= compact_len(bare))
    pad = (bucket - header_len - 88) * 3 // 4 - bare
    while pad > 0 and compact_len(bare + pad) > bucket:
        pad -= 1
    token = jws.JWS(payload(pad))
    token.add_signature(key, alg="EdDSA", protected=json.dumps(header, separators=(",", ":")))
    return token.serialize(compact=True)


def seal(meta, document, sender_id, iat, vectors):
    aad = {**meta, "v": 2, "iat": iat}
    for member in ("copyUnitIds", "recipientUnitIds", "participantUnitIds"):
        if member in aad:
            aad[member] = sorted(aad[member])
    rid, sender, to = routing(aad)
    sig = vectors["privateKeys"][sender_id]["sig"]
    claims = {"iss": sender, "aud": to, "sub": rid, "jti": str(uuid.uuid4()), "iat": iat,
              "aad": aad, "doc": document}
    compact = sign_padded(claims, {"alg": "EdDSA", "kid": sig["kid"], "typ": TYP[aad["kind"]]},
                          jwk.JWK(**sig))
    token = jwe.JWE(compact.encode("ascii"),
                    protected=json.dumps({"enc": ENC, "cty": "JWT"}),
                    aad=canonical(aad).encode("utf-8"))
    for unit in [*to, sender]:
        key_set = next(s for s in vectors["directory"]["units"] if s["unitId"] == unit)
        for key in key_set["keys"]:
            if key["use"] == "enc" and key["status"] == "active":
                token.add_recipient(jwk.JWK(**key["jwk"]),
                                    header=json.dumps({"alg": KEY_ALG, "kid": key["kid"]}))
    return json.loads(token.serialize())


def main():
    command, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        vectors = json.load(f)
    if command == "open":
        print(json.dumps([outcome(case, vectors) for case in vectors["cases"]]))
    elif command == "open-one":
        print(json.dumps(outcome(json.load(sys.stdin), vectors)))
    elif command == "seal":
        out = []
        for case in vectors["cases"]:
            meta = case["outcome"].get("metadata") if case["outcome"]["ok"] else None
            if not meta:
                continue
            meta = {k: v for k, v in meta.items() if k not in ("v", "iat")}
            _, sender, _ = routing(meta)
            out.append({**case, "envelope": seal(meta, case["outcome"]["document"], sender,
                                                 1_798_000_100, vectors)})
        print(json.dumps(out))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
