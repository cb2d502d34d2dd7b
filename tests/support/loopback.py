"""One HTTP client for the suite's requests to the servers it starts on loopback.

`httpx.get()` makes a client per call, and each client loads the system's CA certificates (tens
of milliseconds of CPU) although the suite speaks plain HTTP: most of the test processes' own CPU
went there. One client serves every call instead, opening a new connection for each request, so
a server that a test kills and starts again never meets a connection kept from before."""

import httpx

client = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0))
get = client.get
post = client.post
