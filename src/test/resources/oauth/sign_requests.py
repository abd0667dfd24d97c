#!/usr/bin/python3
"""Signs HTTP requests with requests-oauthlib (two-legged OAuth 1.0a), as Image Factory's own clients do,
and prints them; it sends nothing. The Java test sends them (as they are, or with a byte changed).

argv[1]: a JSON list of {"method", "url", "key", "secret", "signature_method", "body"?, "content_type"?,
"body_hash"?: true to sign the body with oauth_body_hash}. Prints a JSON list of {"method", "url",
"headers", "body"}.
"""
import json
import sys

import requests
from requests_oauthlib import OAuth1

signed = []
for spec in json.loads(sys.argv[1]):
    auth = OAuth1(spec["key"], client_secret=spec["secret"], signature_method=spec["signature_method"],
                  signature_type="auth_header", force_include_body=spec.get("body_hash", False))
    headers = {"Content-Type": spec["content_type"]} if "content_type" in spec else {}
    prepared = requests.Request(spec["method"], spec["url"], data=spec.get("body"), headers=headers, auth=auth).prepare()
    body = prepared.body
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    signed.append({"method": prepared.method, "url": prepared.url,
                   "headers": {k: v if isinstance(v, str) else v.decode("utf-8") for k, v in prepared.headers.items()},
                   "body": body or ""})
print(json.dumps(signed))
