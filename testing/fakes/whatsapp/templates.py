"""Message templates of one WhatsApp Business Account: creating, reviewing, listing, sending.

Creating validates what Meta validates when a template is submitted (name, category, the
components and their lengths, where variables may stand); a new template is PENDING until a test
approves or rejects it. Sending checks the template exists and is APPROVED in the language asked,
that the parameters match its placeholders, and renders the message as the person will read it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any, Final

from fakes.whatsapp.errors import GraphError, bad_parameter, invalid_value, missing_parameter

__all__ = [
    "CATEGORIES",
    "RenderedTemplate",
    "StoredTemplate",
    "TemplateStore",
    "placeholders",
]

JSONDict = dict[str, Any]

CATEGORIES: Final = frozenset({"MARKETING", "UTILITY", "AUTHENTICATION"})
STATUSES: Final = frozenset(
    {"APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED", "IN_APPEAL", "DELETED"}
)
MAX_BODY: Final = 1024
MAX_HEADER: Final = 60
MAX_FOOTER: Final = 60
MAX_BUTTON_TEXT: Final = 25
MAX_BUTTONS: Final = 10
MAX_QUICK_REPLIES: Final = 10

_NAME_RE: Final = re.compile(r"[a-z0-9_]{1,512}")
_LANGUAGE_RE: Final = re.compile(r"[a-z]{2,3}(_[A-Z]{2,3})?")
_PLACEHOLDER_RE: Final = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_BAD_PARAM_TEXT_RE: Final = re.compile(r"[\n\t]| {5,}")


def placeholders(text: str) -> list[str]:
    """The placeholder names of a template text in order of appearance ("1", "2" or names)."""
    return [match.group(1) for match in _PLACEHOLDER_RE.finditer(text)]


def _fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _template_error(subcode: int, title: str, message: str) -> GraphError:
    return GraphError(
        400,
        100,
        "Invalid parameter",
        subcode=subcode,
        user_title=title,
        user_message=message,
        transient=False,
    )


@dataclass
class StoredTemplate:
    """One template in one language, as the WABA stores it."""

    id: str
    name: str
    language: str
    category: str
    components: list[JSONDict]
    parameter_format: str = "POSITIONAL"
    status: str = "PENDING"
    rejected_reason: str | None = None

    def component(self, kind: str) -> JSONDict | None:
        for component in self.components:
            if str(component.get("type", "")).upper() == kind:
                return component
        return None

    @property
    def body(self) -> str:
        body = self.component("BODY")
        return str(body.get("text", "")) if body else ""

    @property
    def buttons(self) -> list[JSONDict]:
        buttons = self.component("BUTTONS")
        return list(buttons.get("buttons", [])) if buttons else []

    def json(self, fields: frozenset[str] | None = None) -> JSONDict:
        data: JSONDict = {
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "parameter_format": self.parameter_format,
            "components": [dict(c) for c in self.components],
        }
        if self.rejected_reason is not None:
            data["rejected_reason"] = self.rejected_reason
        if fields is None:
            return data
        return {key: value for key, value in data.items() if key in fields or key == "id"}


@dataclass
class RenderedTemplate:
    """A template message as sent: what the person reads and what pressing a button sends."""

    name: str
    language: str
    category: str
    body: str
    header: str | None
    footer: str | None
    params: list[str] | dict[str, str]
    quick_replies: list[tuple[str, str]] = field(default_factory=list)  # (text, payload)
    url_buttons: list[tuple[str, str]] = field(default_factory=list)  # (text, url)


def _text_of(component: JSONDict, what: str, limit: int) -> str:
    text = component.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _template_error(
            2388040, f"{what} text is missing", f"The {what.lower()} of a template needs text."
        )
    if len(text) > limit:
        raise _template_error(
            2388040,
            f"{what} text is too long",
            f"The {what.lower()} text can have at most {limit} characters; it has {len(text)}.",
        )
    return text


def _check_placeholders(text: str, what: str, parameter_format: str) -> list[str]:
    names = placeholders(text)
    if parameter_format == "POSITIONAL":
        if any(not name.isdigit() for name in names):
            raise _template_error(
                2388043,
                "Invalid variable",
                f"The {what.lower()} uses named variables but parameter_format is POSITIONAL.",
            )
        distinct = sorted({int(name) for name in names})
        if distinct != list(range(1, len(distinct) + 1)):
            raise _template_error(
                2388043,
                "Variables are not sequential",
                f"The {what.lower()}'s variables must be {{{{1}}}}, {{{{2}}}}, ... in sequence.",
            )
    else:
        if any(not re.fullmatch(r"[a-z0-9_]+", name) or name.isdigit() for name in names):
            raise _template_error(
                2388043,
                "Invalid variable",
                f"The {what.lower()}'s named variables may only use lowercase letters, digits "
                "and underscores.",
            )
    stripped = text.strip()
    if names and (stripped.startswith("{{") or stripped.endswith("}}")):
        raise _template_error(
            2388299,
            "Variables can't be at the start or end of the template.",
            f"The {what.lower()} starts or ends with a variable. Add text before or after it.",
        )
    return names


def _normalise_component(raw: Any, parameter_format: str) -> JSONDict:
    if not isinstance(raw, dict):
        raise bad_parameter("Param components must be an array of objects")
    component = dict(raw)
    kind = str(component.get("type", "")).upper()
    component["type"] = kind
    if kind == "BODY":
        text = _text_of(component, "Body", MAX_BODY)
        _check_placeholders(text, "Body", parameter_format)
    elif kind == "HEADER":
        header_format = str(component.get("format", "TEXT")).upper()
        component["format"] = header_format
        if header_format == "TEXT":
            text = _text_of(component, "Header", MAX_HEADER)
            if len(placeholders(text)) > 1:
                raise _template_error(
                    2388072, "Too many variables", "A text header can have at most one variable."
                )
        elif header_format not in {"IMAGE", "VIDEO", "DOCUMENT", "LOCATION", "GIF"}:
            raise bad_parameter(f"Param components[HEADER][format] is invalid: {header_format}")
    elif kind == "FOOTER":
        text = _text_of(component, "Footer", MAX_FOOTER)
        if placeholders(text):
            raise _template_error(
                2388072, "Variables are not allowed", "A footer cannot have variables."
            )
    elif kind == "BUTTONS":
        buttons = component.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
            raise _template_error(
                2388047,
                "Invalid number of buttons",
                f"A template can have 1 to {MAX_BUTTONS} buttons.",
            )
        normalised: list[JSONDict] = []
        for button in buttons:
            if not isinstance(button, dict):
                raise bad_parameter("Param components[BUTTONS][buttons] must be objects")
            button = dict(button)
            button_type = str(button.get("type", "")).upper()
            button["type"] = button_type
            if button_type in {"QUICK_REPLY", "URL", "PHONE_NUMBER"}:
                label = button.get("text")
                if not isinstance(label, str) or not label or len(label) > MAX_BUTTON_TEXT:
                    raise _template_error(
                        2388047,
                        "Invalid button text",
                        f"Button text must have 1 to {MAX_BUTTON_TEXT} characters.",
                    )
            if button_type == "URL":
                link = button.get("url")
                if not isinstance(link, str) or not re.match(r"https?://", link):
                    raise _template_error(
                        2388047, "Invalid URL", "A URL button needs an http(s) URL."
                    )
            normalised.append(button)
        quick = [b["type"] == "QUICK_REPLY" for b in normalised]
        if sum(quick) > MAX_QUICK_REPLIES:
            raise _template_error(
                2388047, "Too many quick replies", "A template has at most 10 quick replies."
            )
        # Quick replies and other buttons must form two groups, not interleave.
        changes = sum(1 for a, b in itertools.pairwise(quick) if a != b)
        if changes > 1:
            raise _template_error(
                2388158,
                "Invalid button combination",
                "Quick reply buttons and other buttons must be grouped together.",
            )
        component["buttons"] = normalised
    else:
        raise bad_parameter(f"Param components[type] is invalid: {kind or '(missing)'}")
    return component


class TemplateStore:
    """The templates of one WABA, keyed by (name, language)."""

    def __init__(self, new_id: Any) -> None:
        self._new_id = new_id
        self._templates: dict[tuple[str, str], StoredTemplate] = {}

    def __iter__(self) -> Any:
        return iter(list(self._templates.values()))

    def __len__(self) -> int:
        return len(self._templates)

    def get(self, name: str, language: str) -> StoredTemplate | None:
        return self._templates.get((name, language))

    def by_id(self, template_id: str) -> StoredTemplate | None:
        for template in self._templates.values():
            if template.id == template_id:
                return template
        return None

    def find(self, name: str, language: str) -> StoredTemplate:
        template = self._templates.get((name, language))
        if template is None:
            raise LookupError(f"no template {name!r} in {language!r}")
        return template

    def put(self, template: StoredTemplate) -> None:
        self._templates[(template.name, template.language)] = template

    def delete(self, name: str, template_id: str | None) -> int:
        doomed = [
            key
            for key, template in self._templates.items()
            if template.name == name and (template_id is None or template.id == template_id)
        ]
        for key in doomed:
            del self._templates[key]
        return len(doomed)

    # -- creating --------------------------------------------------------------------------

    def create(self, body: Any) -> StoredTemplate:
        """Validate a POST /{waba_id}/message_templates body and store it as PENDING."""
        if not isinstance(body, dict):
            raise bad_parameter("Invalid parameter")
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise missing_parameter("name")
        if not _NAME_RE.fullmatch(name):
            raise _template_error(
                2388042,
                "Invalid template name",
                "Message template names can only have lowercase letters, numbers and "
                "underscores, at most 512 characters.",
            )
        language = body.get("language")
        if not isinstance(language, str) or not language:
            raise missing_parameter("language")
        if not _LANGUAGE_RE.fullmatch(language):
            raise bad_parameter(f"Param language is not a supported language code: {language}")
        category = body.get("category")
        if not isinstance(category, str) or not category:
            raise missing_parameter("category")
        category = category.upper()
        if category not in CATEGORIES:
            raise bad_parameter(
                f"Param category must be one of {{{', '.join(sorted(CATEGORIES))}}}"
            )
        parameter_format = str(body.get("parameter_format") or "POSITIONAL").upper()
        if parameter_format not in {"POSITIONAL", "NAMED"}:
            raise bad_parameter("Param parameter_format must be one of {POSITIONAL, NAMED}")
        raw_components = body.get("components")
        if not isinstance(raw_components, list) or not raw_components:
            raise missing_parameter("components")
        components = [_normalise_component(c, parameter_format) for c in raw_components]
        kinds = [c["type"] for c in components]
        if category != "AUTHENTICATION" and kinds.count("BODY") != 1:
            raise _template_error(
                2388040, "Body is missing", "A template needs exactly one BODY component."
            )
        for kind in ("HEADER", "FOOTER", "BUTTONS"):
            if kinds.count(kind) > 1:
                raise _template_error(
                    2388040, f"Too many {kind.lower()}s", f"A template has at most one {kind}."
                )
        if (name, language) in self._templates:
            raise _template_error(
                2388024,
                "Content in this language already exists",
                f"The template {name} already has content in {language}. Edit it or use "
                "another name.",
            )
        template = StoredTemplate(
            id=self._new_id(),
            name=name,
            language=language,
            category=category,
            components=components,
            parameter_format=parameter_format,
        )
        self.put(template)
        return template

    def add(
        self,
        name: str,
        body: str,
        *,
        language: str,
        category: str,
        header: str | None,
        footer: str | None,
        quick_replies: tuple[str, ...] | list[str],
        url_buttons: tuple[tuple[str, str], ...] | list[tuple[str, str]],
        status: str,
    ) -> StoredTemplate:
        """A template built by a test, validated like one created over the API."""
        named = any(not p.isdigit() for p in placeholders(body + (header or "")))
        components: list[JSONDict] = []
        if header is not None:
            components.append({"type": "HEADER", "format": "TEXT", "text": header})
        components.append({"type": "BODY", "text": body})
        if footer is not None:
            components.append({"type": "FOOTER", "text": footer})
        buttons: list[JSONDict] = [{"type": "QUICK_REPLY", "text": text} for text in quick_replies]
        buttons += [{"type": "URL", "text": text, "url": url} for text, url in url_buttons]
        if buttons:
            components.append({"type": "BUTTONS", "buttons": buttons})
        existing = self._templates.pop((name, language), None)
        try:
            template = self.create(
                {
                    "name": name,
                    "language": language,
                    "category": category,
                    "parameter_format": "NAMED" if named else "POSITIONAL",
                    "components": components,
                }
            )
        except GraphError as error:
            if existing is not None:
                self.put(existing)
            raise ValueError(f"invalid template {name!r}: {error.user_message}") from None
        template.status = status
        return template

    # -- sending ---------------------------------------------------------------------------

    def render(self, raw: Any) -> RenderedTemplate:
        """Check the `template` object of a send and render what the person will read."""
        if not isinstance(raw, dict):
            raise missing_parameter("template")
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise missing_parameter("template['name']")
        language = raw.get("language")
        code = language.get("code") if isinstance(language, dict) else None
        if not isinstance(code, str) or not code:
            raise missing_parameter("template['language']['code']")
        template = self._templates.get((name, code))
        if template is None or template.status not in {"APPROVED", "PAUSED", "DISABLED"}:
            raise GraphError(
                400,
                132001,
                "(#132001) Template name does not exist in the translation",
                details=f"template name ({name}) does not exist in {code}",
            )
        if template.status == "PAUSED":
            raise GraphError(
                400, 132015, "(#132015) Template is paused", details=f"template {name} is paused"
            )
        if template.status == "DISABLED":
            raise GraphError(
                400,
                132016,
                "(#132016) Template has been disabled",
                details=f"template {name} has been disabled",
            )
        sent = raw.get("components", [])
        if not isinstance(sent, list):
            raise bad_parameter("Param template['components'] must be an array")
        by_kind: dict[str, JSONDict] = {}
        button_params: dict[int, JSONDict] = {}
        for component in sent:
            if not isinstance(component, dict):
                raise bad_parameter("Param template['components'] must be an array of objects")
            kind = str(component.get("type", "")).lower()
            if kind == "button":
                index = component.get("index")
                try:
                    button_index = int(index) if index is not None else -1
                except (TypeError, ValueError):
                    raise bad_parameter("Param template['components'][index] is invalid") from None
                button_params[button_index] = component
            elif kind in {"header", "body"}:
                by_kind[kind] = component
            else:
                raise bad_parameter(f"Param template['components'][type] is invalid: {kind}")
        values_by_kind: dict[str, dict[str, str]] = {}
        params_out: list[str] | dict[str, str] = (
            [] if template.parameter_format == "POSITIONAL" else {}
        )
        for kind in ("header", "body"):
            stored = template.component(kind.upper())
            if stored is not None and stored.get("format", "TEXT") != "TEXT":
                values_by_kind[kind] = {}  # a media header: its parameter is not checked
                continue
            text = str(stored.get("text", "")) if stored and stored.get("text") else ""
            expected = list(dict.fromkeys(placeholders(text)))
            given = _text_params(by_kind.get(kind), kind)
            if len(given) != len(expected):
                raise GraphError(
                    400,
                    132000,
                    "(#132000) Number of parameters does not match the expected number of params",
                    details=f"{kind}: number of localizable_params ({len(given)}) does not match "
                    f"the expected number of params ({len(expected)})",
                )
            values: dict[str, str] = {}
            if template.parameter_format == "NAMED":
                for param_name, value in given:
                    if param_name is None or param_name not in expected:
                        raise GraphError(
                            400,
                            132000,
                            "(#132000) Number of parameters does not match the expected number "
                            "of params",
                            details=f"{kind}: parameter name {param_name!r} is not in the "
                            f"template; it expects {expected}",
                        )
                    values[param_name] = value
            else:
                for position, (_, value) in enumerate(given, start=1):
                    values[str(position)] = value
            values_by_kind[kind] = values
            if kind == "body":
                if isinstance(params_out, list):
                    params_out.extend(values[str(i)] for i in range(1, len(values) + 1))
                else:
                    params_out.update(values)
        header_component = template.component("HEADER")
        header = (
            _fill(str(header_component.get("text", "")), values_by_kind.get("header", {}))
            if header_component and header_component.get("format", "TEXT") == "TEXT"
            else None
        )
        body = _fill(template.body, values_by_kind["body"])
        if len(body) > MAX_BODY:
            raise GraphError(
                400,
                132005,
                "(#132005) Translated text too long",
                details=f"the body has {len(body)} characters after filling its parameters; "
                f"at most {MAX_BODY}",
            )
        footer_component = template.component("FOOTER")
        footer = str(footer_component["text"]) if footer_component else None
        quick_replies: list[tuple[str, str]] = []
        url_buttons: list[tuple[str, str]] = []
        buttons = template.buttons
        for index in button_params:
            if not 0 <= index < len(buttons):
                raise invalid_value(f"Button at index {index} does not exist in the template")
        for index, button in enumerate(buttons):
            param = button_params.get(index)
            text = str(button.get("text", ""))
            if button["type"] == "QUICK_REPLY":
                payload = text
                if param is not None:
                    payload = _button_param(param, index, "quick_reply", "payload")
                quick_replies.append((text, payload))
            elif button["type"] == "URL":
                url = str(button.get("url", ""))
                if placeholders(url):
                    if param is None:
                        raise GraphError(
                            400,
                            132000,
                            "(#132000) Number of parameters does not match the expected number "
                            "of params",
                            details=f"button at index {index}: number of localizable_params (0) "
                            "does not match the expected number of params (1)",
                        )
                    suffix = _button_param(param, index, "url", "text")
                    url = _fill(url, {name: suffix for name in placeholders(url)})
                url_buttons.append((text, url))
            elif param is not None:
                raise invalid_value(f"Button at index {index} takes no parameters")
        return RenderedTemplate(
            name=name,
            language=code,
            category=template.category,
            body=body,
            header=header,
            footer=footer,
            params=params_out,
            quick_replies=quick_replies,
            url_buttons=url_buttons,
        )


def _text_params(component: JSONDict | None, kind: str) -> list[tuple[str | None, str]]:
    if component is None:
        return []
    parameters = component.get("parameters", [])
    if not isinstance(parameters, list):
        raise bad_parameter(f"Param template['components'][{kind}]['parameters'] is invalid")
    out: list[tuple[str | None, str]] = []
    for parameter in parameters:
        if not isinstance(parameter, dict):
            raise bad_parameter(f"Param template['components'][{kind}]['parameters'] is invalid")
        param_type = str(parameter.get("type", "")).lower()
        if param_type == "text":
            value = parameter.get("text")
        elif param_type == "currency":
            currency = parameter.get("currency")
            value = currency.get("fallback_value") if isinstance(currency, dict) else None
        elif param_type == "date_time":
            date_time = parameter.get("date_time")
            value = date_time.get("fallback_value") if isinstance(date_time, dict) else None
        else:
            raise bad_parameter(f"Param type {param_type or '(missing)'} is not valid here")
        if not isinstance(value, str) or not value.strip():
            raise GraphError(
                400,
                131008,
                "(#131008) Required parameter is missing",
                details=f"Parameter of type {param_type} is missing {param_type} value",
            )
        if _BAD_PARAM_TEXT_RE.search(value):
            raise GraphError(
                400,
                132018,
                "(#132018) There was an issue with the parameters in your template.",
                details="Param text cannot have new-line/tab characters or more than 4 "
                "consecutive spaces",
            )
        name = parameter.get("parameter_name")
        out.append((str(name) if name is not None else None, value))
    return out


def _button_param(param: JSONDict, index: int, sub_type: str, key: str) -> str:
    if str(param.get("sub_type", "")).lower() != sub_type:
        raise invalid_value(f"Button at index {index} is not a {sub_type} button")
    parameters = param.get("parameters")
    if not isinstance(parameters, list) or len(parameters) != 1:
        raise invalid_value(f"Button at index {index} needs exactly one parameter")
    value = parameters[0].get(key) if isinstance(parameters[0], dict) else None
    if not isinstance(value, str) or not value:
        raise GraphError(
            400,
            131008,
            "(#131008) Required parameter is missing",
            details=f"Button at index {index} is missing its {key}",
        )
    return value
