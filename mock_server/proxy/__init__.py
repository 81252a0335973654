"""`jobs-mock proxy`: real traffic forwarded to an upstream and checked against the spec in both directions.

- `settings`: what the command line chose (upstreams, timeout, `--errors`, `--record`, `--report-dir`, `--redact`).
- `upstream`: the pooled HTTP client that forwards a request as it came and brings the answer back as it was.
- `redaction`: what never leaves the proxy (tokens, cookies, `--redact` fields), and the curl reproducer.
- `findings`: the violating exchanges (newest first, bounded) and a tally per operation and direction.
- `report`: junit.xml, summary.md and violations.json from the findings.
- `recording`: conforming answers saved as named examples (`mock_server/example_overlay.py` is the file format).
- `forwarder`: the pipeline's choice of response in proxy mode, tying the above together.
- `control`: `GET /__mock/violations` and `POST /__mock/report`.
- `mode`: the proxy as the app assembles it.
"""

VIOLATIONS_HEADER = "Jobs-Mock-Violations"  # on an exchange that broke the spec: how many violations it had
