use axum::extract::State;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::model::{NotificationListQuery, NotificationView};
use crate::auth::{AnyRole, RequireRole, Role};
use crate::entity::notifications;
use crate::error::ApiResult;
use crate::extract::Query;
use crate::pagination::{Page, Window, fetch};
use crate::state::AppState;

/// Every message sent (or being sent), newest first. Roles: admin (all); anyone else sees
/// the messages sent to them.
#[utoipa::path(get, path = "/api/v2/notifications", tag = "notifications",
    security(("bearer" = []), ("oauth2" = [])),
    params(NotificationListQuery),
    responses((status = 200, description = "A page of notifications", body = Page<NotificationView>)))]
#[tracing::instrument(skip_all)]
pub async fn list_notifications(
    State(state): State<AppState>,
    RequireRole(caller, _): RequireRole<AnyRole>,
    Query(q): Query<NotificationListQuery>,
) -> ApiResult<axum::Json<Page<NotificationView>>> {
    let mut query = notifications::Entity::find();
    // Scoped in the query: nobody but an admin sees another user's messages.
    if caller.role != Role::Admin {
        query = query.filter(notifications::Column::UserId.eq(caller.id));
    }
    if let Some(user_id) = q.user_id {
        query = query.filter(notifications::Column::UserId.eq(user_id));
    }
    if let Some(channel) = q.channel {
        query = query.filter(notifications::Column::Channel.eq(channel.as_str()));
    }
    if let Some(status) = q.status {
        query = query.filter(notifications::Column::Status.eq(status.as_str()));
    }
    if let Some(template) = q.template {
        query = query.filter(notifications::Column::Template.eq(template));
    }
    if let Some(booking_id) = q.booking_id {
        query = query.filter(notifications::Column::BookingId.eq(booking_id));
    }
    let query =
        query.order_by_desc(notifications::Column::CreatedAt).order_by_desc(notifications::Column::Id);
    let page = fetch(&state.db, query, Window::new(q.limit, q.offset)).await?;
    Ok(axum::Json(page.map(NotificationView::from)))
}
