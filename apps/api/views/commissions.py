"""``POST /api/v1/orders/{external_id}/status`` (merchant keys, scope ``orders:write``).

The merchant confirms, refunds (``refund_amount`` is the total refunded so far; default the
whole amount) or cancels one of its orders; refunds and cancellations reverse the order's
commissions, or mark settled ones for a clawback on the next statement
(``apps.commissions.services.orders``). 200 with the order's new state; an unknown order of
this merchant (or another merchant's or tenant's) is 404; a bad body is 400 naming fields.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.base import TenantApiView
from apps.api.serializers.commissions import OrderStatusInput, OrderStatusOutput
from apps.commissions.errors import OrderStatusError
from apps.commissions.services.orders import order_status_change


class OrderStatusApi(TenantApiView):
    principal = "merchant"
    required_scopes = {"POST": ["orders:write"]}

    @extend_schema(
        summary="Confirm, refund or cancel an order",
        request=OrderStatusInput,
        responses={200: OrderStatusOutput},
    )
    def post(self, request: Request, external_id: str) -> Response:
        data = OrderStatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            conversion = order_status_change(
                merchant=self.merchant,
                external_id=external_id,
                status=data.validated_data["status"],
                refund_amount=data.validated_data.get("refund_amount"),
                reason=data.validated_data["reason"],
            )
        except OrderStatusError as exc:
            if exc.code == OrderStatusError.NOT_FOUND:
                return Response(
                    {"code": "not_found", "message": "Not found.", "extra": {}}, status=404
                )
            raise
        return Response(OrderStatusOutput(conversion).data)
