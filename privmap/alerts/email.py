"""SMTP e-mail sink: one digest message per delivery, STARTTLS or TLS and login optional."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Literal

from pydantic import Field

from privmap.alerts.base import Alert, DeliveryFailed, SinkBase, SinkOptions, digest_title, from_env


class EmailOptions(SinkOptions):
    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"  # tls: implicit TLS (port 465)
    username: str | None = None
    password_env: str | None = None  # environment variable holding the SMTP password
    sender: str
    recipients: list[str] = Field(min_length=1)
    subject_prefix: str = "[privmap]"
    ca_file: str | None = None  # CA bundle to verify the server with (a private CA); default: the system's


def digest_text(alerts: list[Alert], report_url: str | None) -> str:
    """The plain-text body: one paragraph per alert, then the report link."""
    lines = [digest_title(alerts), ""]
    for a in alerts:
        lines += [f"{a.severity.upper()}  {a.rule}  {a.title}", f"  {a.subject}", f"  {a.evidence}"]
        if a.previews:
            lines.append(f"  masked: {', '.join(a.previews)}")
        lines += [f"  {a.article}; run {a.run_id}, {a.raised}", ""]
    if report_url:
        lines.append(f"Report: {report_url}")
    return "\n".join(lines)


class EmailSink(SinkBase):
    Options = EmailOptions
    options: EmailOptions
    digest_only = True

    def send(self, alerts: list[Alert]) -> None:
        o = self.options
        password = from_env(o.password_env, "smtp password")
        msg = EmailMessage()
        msg["Subject"] = f"{o.subject_prefix} {digest_title(alerts)}".strip()
        msg["From"] = o.sender
        msg["To"] = ", ".join(o.recipients)
        msg.set_content(digest_text(alerts, self.config.reports.url))
        self.retrying(lambda: self._submit(msg, password))

    def _submit(self, msg: EmailMessage, password: str | None) -> None:
        o = self.options
        try:
            context = ssl.create_default_context(cafile=self.config.resolve(o.ca_file) if o.ca_file else None)
            if o.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(o.host, o.port, timeout=o.timeout, context=context)
            else:
                smtp = smtplib.SMTP(o.host, o.port, timeout=o.timeout)
            with smtp:
                if o.security == "starttls":
                    smtp.starttls(context=context)
                if o.username:
                    smtp.login(o.username, password or "")
                smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryFailed(f"SMTP login refused ({exc.smtp_code})", transient=False) from None
        except smtplib.SMTPResponseException as exc:
            # 4xx replies are temporary by definition (RFC 5321 section 4.2.1); 5xx are not
            raise DeliveryFailed(f"SMTP {exc.smtp_code}", transient=400 <= exc.smtp_code < 500) from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryFailed("SMTP recipients refused", transient=False) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP connection failed ({type(exc).__name__})") from None
