//! Catalog rules: unique category names, valid references, and what non-admins may see
//! (active entries only).

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ActiveValue::Set, DatabaseConnection, IntoActiveModel};
use uuid::Uuid;

use super::model::{
    AssignmentListQuery, AssignmentView, CategoryListQuery, CreateAssignmentRequest, CreateCategoryRequest,
    CreateServiceRequest, ServiceListQuery, ServiceView, UpdateCategoryRequest, UpdateServiceRequest,
};
use super::store;
use crate::auth::{CurrentUser, active_filter, is_admin};
use crate::cache::{self, RenderCache, Rendered, Seen};
use crate::entity::{service_categories as categories, services, staff_services as assignments};
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::pagination::{Page, Window, fetch};
use crate::staff::store as staff_store;

const CATEGORY_TAKEN: &[(&str, &str, &str)] =
    &[("service_categories", "category-exists", "a category with this name already exists")];
const ASSIGNMENT_TAKEN: &[(&str, &str, &str)] =
    &[("staff_services", "assignment-exists", "this staff member is already assigned to this service")];

/// # Errors
/// Database failures only.
pub async fn list_categories(
    db: &DatabaseConnection,
    caller: Option<&CurrentUser>,
    q: CategoryListQuery,
) -> ApiResult<Page<categories::Model>> {
    let window = Window::new(q.limit, q.offset);
    let Some(active) = active_filter(caller, q.active) else { return Ok(window.page(Vec::new(), 0)) };
    Ok(fetch(db, store::categories(active), window).await?)
}

/// # Errors
/// `category-exists` (409) for a name already used, whatever its case.
pub async fn create_category(
    db: &DatabaseConnection,
    req: CreateCategoryRequest,
) -> ApiResult<categories::Model> {
    let now = Utc::now();
    let name = req.name.trim().to_owned();
    let row = categories::ActiveModel {
        id: Set(Uuid::now_v7()),
        name_key: Set(name.to_lowercase()),
        name: Set(name),
        description: Set(req.description),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    };
    store::save_category(db, row, true).await.map_err(|e| on_constraint(e, CATEGORY_TAKEN))
}

/// # Errors
/// `NotFound`; `category-exists` (409) when renaming onto another category's name.
pub async fn update_category(
    db: &DatabaseConnection,
    id: Uuid,
    req: UpdateCategoryRequest,
) -> ApiResult<categories::Model> {
    let mut row =
        store::find_category(db, id).await?.ok_or(ApiError::NotFound("category"))?.into_active_model();
    if let Some(name) = req.name {
        let name = name.trim().to_owned();
        row.name_key = Set(name.to_lowercase());
        row.name = Set(name);
    }
    if let Some(description) = req.description {
        row.description = Set(description);
    }
    if let Some(active) = req.is_active {
        row.is_active = Set(active);
    }
    row.updated_at = Set(Utc::now());
    store::save_category(db, row, false).await.map_err(|e| on_constraint(e, CATEGORY_TAKEN))
}

/// Deactivates a category (its services keep it; public lists stop showing it).
///
/// # Errors
/// `NotFound`.
pub async fn deactivate_category(db: &DatabaseConnection, id: Uuid) -> ApiResult<()> {
    update_category(db, id, UpdateCategoryRequest { name: None, description: None, is_active: Some(false) })
        .await?;
    Ok(())
}

/// # Errors
/// Database failures only.
pub async fn list_services(
    db: &DatabaseConnection,
    cache: &RenderCache,
    caller: Option<&CurrentUser>,
    seen: Option<Seen>,
    q: ServiceListQuery,
) -> ApiResult<Rendered> {
    let window = Window::new(q.limit, q.offset);
    // Nothing a non-admin asking for deactivated services may see: an empty page, not kept.
    let Some(active) = active_filter(caller, q.active) else {
        return Ok(Rendered::new("", None, &window.page(Vec::<ServiceView>::new(), 0))
            .map_err(anyhow::Error::from)?);
    };
    // Everything the page depends on besides the rows: who may see what, and which page.
    let key = format!("{:?}|{active:?}|{}|{}", q.category_id, window.limit, window.offset);
    // The version first, then the rows: a rendering is never older than the version it
    // is kept under (a write in between only makes it newer, and bumps the version). An
    // authenticated request read it already, with its caller.
    let version = match seen {
        Some(seen) => seen.services,
        None => cache::services_version(db).await?,
    };
    if let Some(kept) = version.and_then(|v| cache.get(&key, v)) {
        return Ok(kept);
    }
    let page = fetch(db, store::services(q.category_id, active), window).await?;
    let rendered = Rendered::new(&key, version, &page.map(ServiceView::from)).map_err(anyhow::Error::from)?;
    cache.put(key, rendered.clone());
    Ok(rendered)
}

/// A service; deactivated ones only for admins.
///
/// # Errors
/// `NotFound`.
pub async fn get_service(
    db: &DatabaseConnection,
    caller: Option<&CurrentUser>,
    id: Uuid,
) -> ApiResult<services::Model> {
    store::find_service(db, id)
        .await?
        .filter(|s| s.is_active || is_admin(caller))
        .ok_or(ApiError::NotFound("service"))
}

async fn ensure_category(db: &DatabaseConnection, id: Option<Uuid>) -> ApiResult<()> {
    if let Some(id) = id
        && store::find_category(db, id).await?.is_none()
    {
        return Err(ApiError::field("category_id", "no such category"));
    }
    Ok(())
}

fn one_deposit_rule() -> ApiError {
    ApiError::field("deposit_percent", "set deposit_cents or deposit_percent, not both")
}

/// The deposit a booking of `service` at `price_cents` requires: the fixed amount (at most
/// the price) or the percentage of the price, rounded half away from zero; `None` when that
/// is nothing.
pub fn deposit_for(service: &services::Model, price_cents: i64) -> Option<i64> {
    let amount = match (service.deposit_cents, service.deposit_percent) {
        (Some(fixed), _) => fixed.min(price_cents),
        (None, Some(percent)) => (price_cents * i64::from(percent) + 50) / 100,
        (None, None) => 0,
    };
    (amount > 0).then_some(amount)
}

/// # Errors
/// 422 on `category_id` when the category does not exist.
pub async fn create_service(
    db: &DatabaseConnection,
    req: CreateServiceRequest,
) -> ApiResult<services::Model> {
    ensure_category(db, req.category_id).await?;
    if req.deposit_cents.is_some() && req.deposit_percent.is_some() {
        return Err(one_deposit_rule());
    }
    let now = Utc::now();
    let row = services::ActiveModel {
        id: Set(Uuid::now_v7()),
        category_id: Set(req.category_id),
        name: Set(req.name.trim().to_owned()),
        description: Set(req.description),
        duration_minutes: Set(req.duration_minutes),
        buffer_minutes: Set(req.buffer_minutes.unwrap_or(0)),
        price_cents: Set(req.price_cents),
        deposit_cents: Set(req.deposit_cents),
        deposit_percent: Set(req.deposit_percent),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Ok(store::save_service(db, row, true).await?)
}

/// # Errors
/// `NotFound`; 422 on `category_id` when the category does not exist.
pub async fn update_service(
    db: &DatabaseConnection,
    id: Uuid,
    req: UpdateServiceRequest,
) -> ApiResult<services::Model> {
    let mut row =
        store::find_service(db, id).await?.ok_or(ApiError::NotFound("service"))?.into_active_model();
    if let Some(category) = req.category_id {
        ensure_category(db, category).await?;
        row.category_id = Set(category);
    }
    if let Some(name) = req.name {
        row.name = Set(name.trim().to_owned());
    }
    if let Some(description) = req.description {
        row.description = Set(description);
    }
    if let Some(v) = req.duration_minutes {
        row.duration_minutes = Set(v);
    }
    if let Some(v) = req.buffer_minutes {
        row.buffer_minutes = Set(v);
    }
    if let Some(v) = req.price_cents {
        row.price_cents = Set(v);
    }
    match (req.deposit_cents, req.deposit_percent) {
        (Some(Some(_)), Some(Some(_))) => return Err(one_deposit_rule()),
        (cents, percent) => {
            if let Some(v) = cents {
                row.deposit_cents = Set(v);
                if v.is_some() {
                    row.deposit_percent = Set(None);
                }
            }
            if let Some(v) = percent {
                row.deposit_percent = Set(v);
                if v.is_some() {
                    row.deposit_cents = Set(None);
                }
            }
        }
    }
    if let Some(v) = req.is_active {
        row.is_active = Set(v);
    }
    row.updated_at = Set(Utc::now());
    Ok(store::save_service(db, row, false).await?)
}

/// # Errors
/// `NotFound`.
pub async fn deactivate_service(db: &DatabaseConnection, id: Uuid) -> ApiResult<()> {
    let mut row =
        store::find_service(db, id).await?.ok_or(ApiError::NotFound("service"))?.into_active_model();
    row.is_active = Set(false);
    row.updated_at = Set(Utc::now());
    store::save_service(db, row, false).await?;
    Ok(())
}

/// Assignments with their effective price and duration. Non-admins see only those of active
/// staff members and active services.
///
/// # Errors
/// Database failures only.
pub async fn list_assignments(
    db: &DatabaseConnection,
    caller: Option<&CurrentUser>,
    q: AssignmentListQuery,
) -> ApiResult<Page<AssignmentView>> {
    let window = Window::new(q.limit, q.offset);
    let query = store::assignments(q.staff_id, q.service_id, !is_admin(caller));
    let page = fetch(db, query, window).await?;
    let mut ids: Vec<Uuid> = page.items.iter().map(|a| a.service_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let services: HashMap<Uuid, services::Model> =
        store::find_services(db, ids).await?.into_iter().map(|s| (s.id, s)).collect();
    // Assignments reference services by foreign key, so every lookup succeeds.
    Ok(page.map(|a| {
        let service = &services[&a.service_id];
        AssignmentView::new(a, service)
    }))
}

/// # Errors
/// 422 on `staff_id`/`service_id` when they do not exist; `assignment-exists` (409) for a
/// pair that is already assigned, also when two requests race.
pub async fn create_assignment(
    db: &DatabaseConnection,
    req: CreateAssignmentRequest,
) -> ApiResult<AssignmentView> {
    let mut errors = Vec::new();
    if staff_store::find(db, req.staff_id).await?.is_none() {
        errors.push(crate::error::FieldError::new("staff_id", "no such staff member"));
    }
    let service = store::find_service(db, req.service_id).await?;
    if service.is_none() {
        errors.push(crate::error::FieldError::new("service_id", "no such service"));
    }
    let Some(service) = service.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let row = assignments::ActiveModel {
        id: Set(Uuid::now_v7()),
        staff_id: Set(req.staff_id),
        service_id: Set(req.service_id),
        price_cents: Set(req.price_cents),
        duration_minutes: Set(req.duration_minutes),
        created_at: Set(Utc::now()),
    };
    let saved = store::insert_assignment(db, row).await.map_err(|e| on_constraint(e, ASSIGNMENT_TAKEN))?;
    Ok(AssignmentView::new(saved, &service))
}

/// # Errors
/// `NotFound`.
pub async fn delete_assignment(db: &DatabaseConnection, id: Uuid) -> ApiResult<()> {
    if store::find_assignment(db, id).await?.is_none() || !store::delete_assignment(db, id).await? {
        return Err(ApiError::NotFound("assignment"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(deposit_cents: Option<i64>, deposit_percent: Option<i32>) -> services::Model {
        let now = Utc::now();
        services::Model {
            id: Uuid::nil(),
            category_id: None,
            name: "Colour".into(),
            description: None,
            duration_minutes: 60,
            buffer_minutes: 0,
            price_cents: 0,
            is_active: true,
            deposit_cents,
            deposit_percent,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn a_percent_deposit_rounds_half_away_from_zero_in_minor_units() {
        let third = service(None, Some(33));
        // A third of awkward prices: 33 % of 100 = 33; of 1 = 0.33 -> nothing due; of 2 = 0.66 -> 1.
        assert_eq!(deposit_for(&third, 100), Some(33));
        assert_eq!(deposit_for(&third, 1), None);
        assert_eq!(deposit_for(&third, 2), Some(1));
        // Exactly half rounds up: 50 % of 3 = 1.5 -> 2; of 1 = 0.5 -> 1.
        let half = service(None, Some(50));
        assert_eq!(deposit_for(&half, 3), Some(2));
        assert_eq!(deposit_for(&half, 1), Some(1));
        // A zero-decimal currency (JPY) is the same arithmetic: amounts are whole yen, and
        // Stripe takes them as they are. 25 % of 4,999 yen = 1,249.75 -> 1,250.
        assert_eq!(deposit_for(&service(None, Some(25)), 4999), Some(1250));
        assert_eq!(deposit_for(&service(None, Some(100)), 4999), Some(4999));
    }

    #[test]
    fn a_fixed_deposit_is_at_most_the_price_and_a_free_service_needs_none() {
        let fixed = service(Some(2000), None);
        assert_eq!(deposit_for(&fixed, 5000), Some(2000));
        assert_eq!(deposit_for(&fixed, 1500), Some(1500));
        assert_eq!(deposit_for(&fixed, 0), None);
        assert_eq!(deposit_for(&service(None, None), 5000), None);
    }
}
