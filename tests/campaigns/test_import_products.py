"""The ``products`` import through the shared runner (API.md "Import formats")."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from apps.campaigns.models import Product
from apps.core.import_runner import run_import
from apps.tenants.scope import tenant_scope
from tests.campaigns.factories import MerchantDomainFactory, MerchantFactory, ProductFactory

pytestmark = pytest.mark.django_db

HEADER = "merchant,sku,title,url,price,product_type,image_url\n"


def _run(tenant, text, dry_run=False):
    with tenant_scope(tenant):
        return run_import(
            "products", filename="p.csv", content=text.encode(), tenant=tenant, dry_run=dry_run
        )


def test_import_creates_and_updates_by_merchant_and_sku(tenant):
    merchant = MerchantFactory(tenant=tenant, code="SHOP")
    MerchantDomainFactory(tenant=tenant, merchant=merchant, domain="shop.example.com")
    ProductFactory(tenant=tenant, merchant=merchant, sku="OLD", price=Decimal("1.00"))
    text = HEADER + (
        "shop,NEW,Kettle,https://shop.example.com/k,199.00,home,\n"
        "SHOP,OLD,Toaster,https://shop.example.com/t,49.90,home,https://img.example.com/t.png\n"
    )
    report = _run(tenant, text)
    assert report.ok, report.errors
    assert report.counts == {"products created": 1, "products updated": 1}
    old = Product.objects.get(sku="OLD")
    assert (old.title, old.price) == ("Toaster", Decimal("49.90"))
    assert old.image_url == "https://img.example.com/t.png"
    # the same file again changes nothing new
    report = _run(tenant, text)
    assert report.counts == {"products updated": 2}
    assert Product.objects.count() == 2


def test_import_reports_every_bad_cell_and_imports_nothing(tenant, other_tenant):
    shop = MerchantFactory(tenant=tenant, code="SHOP")
    MerchantDomainFactory(tenant=tenant, merchant=shop, domain="shop.example.com")
    MerchantFactory(tenant=other_tenant, code="THEIRS")
    text = HEADER + (
        "SHOP,A,Kettle,https://shop.example.com/k,199.00,home,\n"
        "THEIRS,B,Kettle,ftp://x,-1,home,\n"
        "SHOP,A,Again,https://shop.example.com/k,1.005,home,\n"
    )
    report = _run(tenant, text)
    found = {(e.line, e.column) for e in report.errors}
    assert found == {(3, "merchant"), (3, "url"), (3, "price"), (4, "price")}
    assert Product.objects.count() == 0


def test_duplicate_sku_in_one_file_is_an_error_on_its_second_line(tenant):
    shop = MerchantFactory(tenant=tenant, code="SHOP")
    MerchantDomainFactory(tenant=tenant, merchant=shop, domain="shop.example.com")
    text = HEADER + (
        "SHOP,A,Kettle,https://shop.example.com/k,199.00,home,\n"
        "SHOP,A,Kettle,https://shop.example.com/k,199.00,home,\n"
    )
    report = _run(tenant, text)
    assert [(e.line, e.column) for e in report.errors] == [(3, "sku")]


def test_import_data_command_imports_products(tenant, tmp_path):
    shop = MerchantFactory(tenant=tenant, code="SHOP")
    MerchantDomainFactory(tenant=tenant, merchant=shop, domain="shop.example.com")
    good = tmp_path / "products.csv"
    good.write_text(HEADER + "SHOP,K1,Kettle,https://shop.example.com/k,199.00,home,\n")
    call_command("import_data", "--tenant", tenant.slug, "products", str(good))
    assert Product.objects.get(sku="K1").price == Decimal("199.00")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "NOPE,K2,Kettle,https://shop.example.com/k,199.00,home,\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_data", "--tenant", tenant.slug, "products", str(bad))
    assert not Product.objects.filter(sku="K2").exists()
