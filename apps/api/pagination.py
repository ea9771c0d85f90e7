from typing import Any

from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from apps.core.params import param_int


class Pagination(PageNumberPagination):
    """DRF's page numbers, with bad values refused naming the parameter (issue 22): ``page``
    is a whole number from 1 (or ``last``), ``page_size`` a whole number from 1 (capped at
    ``max_page_size``). DRF alone answers ``page=abc`` 404 and ignores ``page_size=abc``. A
    page past the last is still 404 "Invalid page." (the page does not exist)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        if request.query_params.get(self.page_query_param) in self.last_page_strings:
            return paginator.num_pages
        return param_int(request.query_params, self.page_query_param, minimum=1, default=1)

    def get_page_size(self, request: Request) -> int:
        size = param_int(request.query_params, self.page_size_query_param, minimum=1)
        if size is None:
            return self.page_size
        return min(size, self.max_page_size)
