"""The API process logs no customer personal data (see core.pii)."""

from __future__ import annotations

import logging

import pytest

from tests.api.conftest import Env


def test_api_logs_carry_no_customer_pii(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    h = env.h("qs_operator")
    customer = {
        "id": "pii-1",
        "name": "赵女士",
        "stage": "repeat",
        "tags": {"phone": "13987654321", "address": "上海市静安区南京西路1266号"},
    }
    with caplog.at_level(logging.DEBUG):
        assert env.client.post("/v1/customers", json=customer, headers=h).status_code == 201
        env.client.get(
            "/v1/knowledge/search",
            headers=h,
            params={"q": "寄到 上海市静安区南京西路1266号 电话13987654321"},
        )
        logging.getLogger("zhenxin.api").info("echo %s", customer["tags"])
    assert caplog.records  # something was logged
    assert "13987654321" not in caplog.text and "南京西路1266号" not in caplog.text
