"""Texts of the workflow module (messages raised to users and page labels), Vietnamese first.

``ui.i18n.t`` merges this dictionary when it exists; :func:`t` works on its own as well.
"""

from __future__ import annotations

import unicodedata

from workflows import page_texts

DEFAULT_LANG = "vi"

TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        # sign-in and accounts
        "auth.bad_credentials": "Tên đăng nhập hoặc mật khẩu không đúng.",
        "auth.locked": "Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần; thử lại sau {until}.",
        "auth.disabled": "Tài khoản đã bị vô hiệu hóa; liên hệ Sở KH&CN.",
        "auth.session_expired": "Phiên làm việc đã hết hạn hoặc không hợp lệ; vui lòng đăng nhập lại.",
        "auth.password_too_short": "Mật khẩu mới phải có ít nhất {min} ký tự.",
        "auth.password_is_username": "Mật khẩu mới không được trùng tên đăng nhập.",
        "auth.password_same": "Mật khẩu mới phải khác mật khẩu cũ.",
        "auth.oidc_unknown": "Tài khoản {subject} chưa được Sở KH&CN cấp quyền trong hệ thống.",
        "auth.bad_username": "Tên đăng nhập “{username}” không hợp lệ: chỉ dùng chữ thường không dấu, số, dấu chấm, gạch nối, gạch dưới, @ (3–64 ký tự).",
        "auth.bad_role": "Vai trò “{role}” không hợp lệ; chọn một trong: {roles}.",
        "auth.unit_required": "Tài khoản đơn vị phải gắn với đúng một mã đơn vị; tài khoản khác không gắn đơn vị.",
        "auth.username_taken": "Tên đăng nhập “{username}” đã tồn tại.",
        "auth.unknown_account": "Không có tài khoản “{username}”.",
        "auth.forbidden": "Bạn không có quyền thực hiện thao tác này.",
        # evidence
        "evidence.empty": "Tệp “{name}” rỗng.",
        "evidence.too_large": "Tệp “{name}” có dung lượng {size} vượt giới hạn {limit}.",
        "evidence.bad_type": "Tệp “{name}” không phải PDF, ảnh (PNG, JPEG) hay tài liệu văn phòng (DOC/DOCX, XLS/XLSX, ODT/ODS): nội dung là {detected}.",
        "evidence.extension_mismatch": "Tệp “{name}” có phần mở rộng “{extension}” nhưng nội dung là {detected}; hãy tải lên đúng tệp gốc.",
        "evidence.not_found": "Không tìm thấy minh chứng.",
        # self-assessment
        "selfreport.unknown_item": "Chỉ tiêu tự đánh giá “{item}” không tồn tại; chọn một trong: {items}.",
        "selfreport.bad_value": "Giá trị “{field}” của chỉ tiêu {item} không hợp lệ: {problem}.",
        "selfreport.missing_evidence": "Chỉ tiêu {item} cần minh chứng: tải tệp lên hoặc ghi số và ngày văn bản.",
        "selfreport.bad_period": "Kỳ “{period}” không hợp lệ (ví dụ: 2026, 2026-Q1, 2026-03).",
        "selfreport.bad_state": "Bản tự đánh giá #{id} đang ở trạng thái “{status}”, không thể {action}.",
        "selfreport.reason_required": "Cần ghi lý do khi trả lại bản tự đánh giá.",
        "selfreport.not_found": "Không tìm thấy bản tự đánh giá #{id}.",
        # disputes
        "dispute.window_closed": "Đã hết thời hạn khiếu nại ({days} ngày kể từ khi công bố ngày {published}).",
        "dispute.unknown_publication": "Không tìm thấy bảng xếp hạng đã công bố “{publication}”.",
        "dispute.unknown_metric": "Đơn vị không có chỉ tiêu “{metric}” trong bảng xếp hạng đã công bố.",
        "dispute.explanation_required": "Cần giải trình lý do khiếu nại.",
        "dispute.not_found": "Không tìm thấy khiếu nại #{id}.",
        "dispute.already_decided": "Khiếu nại #{id} đã được xử lý ({status}).",
        "dispute.reason_required": "Cần ghi lý do khi bác khiếu nại.",
        "dispute.value_required": "Cần nhập giá trị đã sửa khi chấp nhận khiếu nại.",
        "dispute.not_correctable": "Chỉ tiêu {metric} (hàm {function}) không sửa được bằng tử số/mẫu số; hãy sửa bản tự đánh giá hoặc dữ liệu nguồn rồi chấm lại.",
        "dispute.bad_correction": "Giá trị sửa không hợp lệ: {problem}.",
        "dispute.rubric_changed": "Bảng xếp hạng được chấm theo bộ tiêu chí {rubric} phiên bản {published}, nhưng tệp hiện hành là phiên bản {current}; không thể chấm lại đúng công thức đã công bố.",
        # inspections
        "inspection.deadline_before_visit": "Hạn thực hiện kiến nghị “{text}” ({deadline}) trước ngày kiểm tra ({visit}).",
        "inspection.not_found": "Không tìm thấy kiến nghị #{id}.",
        "inspection.deadline_required": "Kiến nghị “{text}” chưa có hạn thực hiện hợp lệ (ngày/tháng/năm).",
        "inspection.text_required": "Nội dung {what} không được để trống.",
    },
    "en": {
        "auth.bad_credentials": "Wrong username or password.",
        "auth.locked": "Account locked after repeated failed sign-ins; try again after {until}.",
        "auth.disabled": "This account is disabled; contact the IT department.",
        "auth.session_expired": "Your session has expired or is not valid; please sign in again.",
        "auth.password_too_short": "The new password must have at least {min} characters.",
        "auth.password_is_username": "The new password must not equal the username.",
        "auth.password_same": "The new password must differ from the old one.",
        "auth.oidc_unknown": "Account {subject} has not been granted access by the IT department.",
        "auth.bad_username": "Username “{username}” is not valid: use lower-case ASCII letters, digits, dot, hyphen, underscore, @ (3–64 characters).",
        "auth.bad_role": "Role “{role}” is not valid; choose one of: {roles}.",
        "auth.unit_required": "A unit account needs exactly one unit code; other accounts have none.",
        "auth.username_taken": "Username “{username}” already exists.",
        "auth.unknown_account": "No account “{username}”.",
        "auth.forbidden": "You are not allowed to do this.",
        "evidence.empty": "File “{name}” is empty.",
        "evidence.too_large": "File “{name}” is {size}, over the {limit} limit.",
        "evidence.bad_type": "File “{name}” is not a PDF, an image (PNG, JPEG) or an office document (DOC/DOCX, XLS/XLSX, ODT/ODS): its content is {detected}.",
        "evidence.extension_mismatch": "File “{name}” has the extension “{extension}” but its content is {detected}; upload the original file.",
        "evidence.not_found": "Evidence not found.",
        "selfreport.unknown_item": "Self-assessment item “{item}” does not exist; choose one of: {items}.",
        "selfreport.bad_value": "Value “{field}” of item {item} is not valid: {problem}.",
        "selfreport.missing_evidence": "Item {item} needs evidence: upload a file or give the document number and date.",
        "selfreport.bad_period": "Period “{period}” is not valid (e.g. 2026, 2026-Q1, 2026-03).",
        "selfreport.bad_state": "Self-assessment #{id} is “{status}” and cannot be {action}.",
        "selfreport.reason_required": "A reason is required to reject a self-assessment.",
        "selfreport.not_found": "Self-assessment #{id} not found.",
        "dispute.window_closed": "The dispute window has closed ({days} days after publication on {published}).",
        "dispute.unknown_publication": "Published ranking “{publication}” not found.",
        "dispute.unknown_metric": "The unit has no metric “{metric}” in the published ranking.",
        "dispute.explanation_required": "An explanation is required to raise a dispute.",
        "dispute.not_found": "Dispute #{id} not found.",
        "dispute.already_decided": "Dispute #{id} has already been decided ({status}).",
        "dispute.reason_required": "A reason is required to reject a dispute.",
        "dispute.value_required": "A corrected value is required to accept a dispute.",
        "dispute.not_correctable": "Metric {metric} (function {function}) cannot be corrected by numerator/denominator; correct the self-assessment or the source data and re-score.",
        "dispute.bad_correction": "The corrected value is not valid: {problem}.",
        "dispute.rubric_changed": "The ranking was scored under rubric {rubric} version {published} but the current file is version {current}; it cannot be re-scored with the published formulas.",
        "inspection.deadline_before_visit": "Deadline of recommendation “{text}” ({deadline}) is before the visit ({visit}).",
        "inspection.not_found": "Recommendation #{id} not found.",
        "inspection.deadline_required": "Recommendation “{text}” has no valid deadline (day/month/year).",
        "inspection.text_required": "The {what} must not be empty.",
    },
}

TEXTS["vi"].update(page_texts.VI)
TEXTS["en"].update(page_texts.EN)


def t(key: str, lang: str = DEFAULT_LANG, **params: object) -> str:
    """The text for ``key`` in ``lang`` (Vietnamese if the language or key is missing), NFC-normalised."""
    table = TEXTS.get(lang, TEXTS[DEFAULT_LANG])
    template = table.get(key) or TEXTS[DEFAULT_LANG].get(key, key)
    return unicodedata.normalize("NFC", template.format(**params) if params else template)


class WorkflowError(Exception):
    """A user-facing refusal: ``str(error)`` is Vietnamese, :meth:`message` gives another language."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(t(key, DEFAULT_LANG, **params))

    def message(self, lang: str = DEFAULT_LANG) -> str:
        """The message in ``lang``."""
        return t(self.key, lang, **self.params)
