"""The browser forms: lodging a declaration field by field, uploading XML, filtering the list.

The forms only check format (required, numbers, code shapes); the business rules are the
service's (``services.declaration_lodge``), and their issues are mapped back onto the form fields
by ``issues_to_forms`` so the trader sees each one beside the field it is about.

The package holds one module per concern: ``fields`` (field types, widgets, validators, choices),
``documents`` (lists of document rows), ``parties`` (the party field set), ``header`` (the
declaration header form), ``items`` (goods items and their formset), ``payload`` (building forms from
a request or a draft, and the canonical declaration from them), ``issues`` (service issues onto
fields, the error summary) and ``upload`` (the upload and list filter forms). Everything public is
importable from here.
"""

from __future__ import annotations

from .documents import (
    ADD_DOCUMENT,
    DECLARATION_DOCUMENTS,
    DECLARATION_TARGET,
    DOCUMENT_FIELD,
    ITEM_DOCUMENTS,
    PREVIOUS_DOCUMENTS,
    DocumentList,
    DocumentRows,
    DocumentRowsForm,
)
from .fields import (
    ADDITIONAL_TYPE_CHOICES,
    DOCUMENT_ROWS,
    ITEMS_PREFIX,
    MAX_DOCUMENTS,
    REPRESENTATION_CHOICES,
    TRANSPORT_ID_TYPE_CHOICES,
    TRANSPORT_MODE_CHOICES,
    TYPE_CHOICES,
    CommodityCodeField,
    UpperCharField,
    digits_validator,
    document_code_validator,
    office_validator,
    previous_document_code_validator,
    procedure_validator,
)
from .header import (
    DeclarationForm,
    Section,
)
from .issues import (
    HEADER_FIELD_FOR,
    ITEM_FIELD_FOR,
    IssueTarget,
    SummaryEntry,
    error_summary,
    issue_target,
    issues_to_forms,
)
from .items import (
    BaseGoodsItemFormSet,
    GoodsItemForm,
    GoodsItemFormSet,
    document_rows_in,
    posted_document_rows,
)
from .parties import (
    PARTY_FIELDS,
    party_fields,
    party_roles,
)
from .payload import (
    ADD_DOCUMENT_ACTION,
    DocumentAdded,
    document_added_to,
    form_to_declaration_data,
    forms_from_payload,
    forms_from_post,
    header_field_names,
    item_field_names,
    payload_from_post,
    tax_line_added_to,
)
from .upload import (
    DeclarationFilterForm,
    UploadForm,
    upload_too_large_message,
)
from .values import (
    readable_values,
)

__all__ = [
    "ADDITIONAL_TYPE_CHOICES",
    "ADD_DOCUMENT",
    "ADD_DOCUMENT_ACTION",
    "BaseGoodsItemFormSet",
    "CommodityCodeField",
    "DECLARATION_DOCUMENTS",
    "DECLARATION_TARGET",
    "DOCUMENT_FIELD",
    "DOCUMENT_ROWS",
    "DeclarationFilterForm",
    "DeclarationForm",
    "DocumentAdded",
    "DocumentList",
    "DocumentRows",
    "DocumentRowsForm",
    "GoodsItemForm",
    "GoodsItemFormSet",
    "HEADER_FIELD_FOR",
    "ITEMS_PREFIX",
    "ITEM_DOCUMENTS",
    "ITEM_FIELD_FOR",
    "IssueTarget",
    "MAX_DOCUMENTS",
    "PARTY_FIELDS",
    "PREVIOUS_DOCUMENTS",
    "REPRESENTATION_CHOICES",
    "Section",
    "SummaryEntry",
    "TRANSPORT_ID_TYPE_CHOICES",
    "TRANSPORT_MODE_CHOICES",
    "TYPE_CHOICES",
    "UploadForm",
    "UpperCharField",
    "digits_validator",
    "document_added_to",
    "document_code_validator",
    "document_rows_in",
    "error_summary",
    "form_to_declaration_data",
    "forms_from_payload",
    "forms_from_post",
    "header_field_names",
    "issue_target",
    "issues_to_forms",
    "item_field_names",
    "office_validator",
    "party_fields",
    "party_roles",
    "payload_from_post",
    "posted_document_rows",
    "previous_document_code_validator",
    "procedure_validator",
    "readable_values",
    "tax_line_added_to",
    "upload_too_large_message",
]
