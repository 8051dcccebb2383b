use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::model::{InvoiceListQuery, InvoiceView, PdfDocument};
use super::service;
use crate::auth::{AnyRole, RequireRole};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Path, Query};
use crate::pagination::Page;
use crate::state::AppState;

/// Invoices, newest first: one per completed booking and per retail sale. Roles: staff and
/// admin (all; filter by booking, sale or client), client (their own).
#[utoipa::path(get, path = "/api/v2/invoices", tag = "payments",
    security(("bearer" = []), ("oauth2" = [])),
    params(InvoiceListQuery),
    responses((status = 200, description = "A page of invoices", body = Page<InvoiceView>)))]
#[tracing::instrument(skip_all)]
pub async fn list_invoices(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Query(q): Query<InvoiceListQuery>,
) -> ApiResult<axum::Json<Page<InvoiceView>>> {
    Ok(axum::Json(service::list(&state.db, &caller, q).await?))
}

/// What a reader asked for in `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Html,
    Pdf,
}

/// The format `accept` prefers (RFC 9110 q-values; the most specific range that matches a
/// type gives its q). JSON when there is no header, on a tie, and when nothing offered is
/// acceptable (the server may disregard `Accept`, and a client reading a problem or an
/// invoice as JSON is better served than by a 406).
fn negotiate(accept: Option<&str>) -> Format {
    const OFFERED: [(Format, &str, &str); 3] = [
        (Format::Json, "application", "json"),
        (Format::Html, "text", "html"),
        (Format::Pdf, "application", "pdf"),
    ];
    let Some(accept) = accept else { return Format::Json };
    let ranges: Vec<(String, String, f32)> = accept
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let (kind, sub) = parts.next()?.trim().split_once('/')?;
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((kind.trim().to_ascii_lowercase(), sub.trim().to_ascii_lowercase(), q))
        })
        .collect();
    // (q, how specific the matching range is: 2 exact, 1 `type/*`, 0 `*/*`).
    let quality = |kind: &str, sub: &str| {
        let exact = ranges.iter().find(|(k, s, _)| k == kind && s == sub).map(|r| (r.2, 2));
        let family = ranges.iter().find(|(k, s, _)| k == kind && s == "*").map(|r| (r.2, 1));
        let any = ranges.iter().find(|(k, s, _)| k == "*" && s == "*").map(|r| (r.2, 0));
        exact.or(family).or(any).unwrap_or((0.0, 0))
    };
    // The highest q wins; on equal q, the type named more specifically (`application/pdf,
    // */*` is a PDF); then JSON.
    let mut best = (Format::Json, 0.0_f32, -1);
    for (format, kind, sub) in OFFERED {
        let (q, specific) = quality(kind, sub);
        if q > 0.0 && (q > best.1 || (q == best.1 && specific > best.2)) {
            best = (format, q, specific);
        }
    }
    best.0
}

/// One invoice with its lines, what was paid (a booking's deposit counts) and the balance.
/// Roles: staff, admin, and the client it is for (another client's is a 404).
///
/// `Accept` picks the form: JSON (the default), `text/html` for a printable receipt, or
/// `application/pdf` for an A4 PDF of it. Amounts in the receipt are in the currency's own
/// decimals; the PDF uses the standard Helvetica, so a character outside Latin-1 prints as
/// `?` there (the HTML page has them all).
#[utoipa::path(get, path = "/api/v2/invoices/{id}", tag = "payments",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The invoice, in the form `Accept` asked for",
            content((InvoiceView = "application/json"), (String = "text/html"), (PdfDocument = "application/pdf")),
            headers(("Vary" = String, description = "`Accept`"))),
        (status = 404, description = "No such invoice", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(invoice_id = %id))]
pub async fn get_invoice(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let vary = (header::VARY, HeaderValue::from_static("accept"));
    let format = negotiate(accept);
    if format == Format::Json {
        let view = service::get(&state.db, &caller, id).await?;
        return Ok(([vary], axum::Json(view)).into_response());
    }
    let receipt = service::get_receipt(&state.db, &caller, id).await?;
    Ok(match format {
        Format::Html => {
            let page = super::receipt::html(&receipt)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("the receipt page did not render: {e:#}")))?;
            let kind = (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            ([vary, kind], page).into_response()
        }
        _ => {
            // Tens of microseconds even for a long sale (benches/receipt.rs): no blocking pool.
            let (bytes, name) = (super::receipt::pdf(&receipt), receipt.file_name());
            let kind = (header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
            let disposition = HeaderValue::from_str(&format!("inline; filename=\"{name}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("inline"));
            ([vary, kind, (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_by_quality_and_falls_back_to_json() {
        assert_eq!(negotiate(None), Format::Json);
        assert_eq!(negotiate(Some("*/*")), Format::Json);
        assert_eq!(negotiate(Some("application/pdf")), Format::Pdf);
        assert_eq!(
            negotiate(Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")),
            Format::Html
        );
        assert_eq!(negotiate(Some("text/html;q=0.5, application/json")), Format::Json);
        assert_eq!(negotiate(Some("application/*;q=0.4, text/*;q=0.3")), Format::Json);
        assert_eq!(negotiate(Some("application/json;q=0, application/pdf;q=0.1")), Format::Pdf);
        assert_eq!(negotiate(Some("TEXT/HTML")), Format::Html);
        assert_eq!(negotiate(Some("image/png")), Format::Json);
        assert_eq!(negotiate(Some(";;,/,q=")), Format::Json);
        assert_eq!(negotiate(Some("application/pdf, */*")), Format::Pdf);
        assert_eq!(negotiate(Some("*/*, text/html")), Format::Html);
    }
}
