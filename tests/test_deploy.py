"""deploy/: the nginx configuration is valid nginx, and every location keeps the headers the
app trusts."""

from __future__ import annotations

import re
import subprocess

from deploy.cluster import NGINX, ROOT, Cluster, nginx_config_write

SITE = "deploy/nginx/rtviz.conf"


def test_the_rendered_configuration_passes_nginx_t(tmp_path):
    cluster = Cluster(
        scratch=tmp_path,
        env={"STATIC_ROOT": str(tmp_path / "static")},
        port=18080,
        web_ports=[18001, 18002, 18003],
    )
    config = nginx_config_write(cluster)
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-e", f"{tmp_path}/error.log", "-c", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert checked.returncode == 0, checked.stderr
    assert "server 127.0.0.1:18003 max_fails=1" in (tmp_path / "rtviz.conf").read_text()


def test_no_location_sets_its_own_proxy_headers():
    # nginx: a location with any proxy_set_header of its own inherits none of the server's,
    # so the sockets would lose Host, X-Forwarded-For and the Daphne-Root-Path reset.
    text = (ROOT / SITE).read_text()
    server = text[text.index("server {") :]
    for block in re.findall(r"location [^{]*\{(.*?)\n    \}", server, flags=re.DOTALL):
        assert "proxy_set_header" not in block
    for header in ("X-Forwarded-For $remote_addr", "X-Forwarded-Proto $scheme",
                   'Daphne-Root-Path ""', "Upgrade $http_upgrade"):  # fmt: skip
        assert f"proxy_set_header {header};" in server


def test_nginx_lets_the_largest_api_batch_through_to_the_app():
    # Past nginx's limit a client gets nginx's HTML 413, not the API's JSON one naming the limit.
    from django.conf import settings

    text = (ROOT / SITE).read_text()
    limit = re.search(r"client_max_body_size (\d+)m;", text)
    assert limit is not None
    assert int(limit.group(1)) * 1024 * 1024 > settings.API_MAX_BODY_BYTES
