//! Voice queries: the vocabulary (active services and staff with their synonyms, in one
//! query), conversations, synonyms, and a client's upcoming bookings.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Order, Query, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Select};
use uuid::Uuid;

use super::nlu::{Entry, Vocabulary};
use crate::entity::{bookings, services, staff, voice_sessions as sessions, voice_synonyms as synonyms};

/// Active services and staff, each with the phrases admins added for it: what the parser
/// matches against. One query; a synonym of something inactive is left out with it.
///
/// # Errors
/// Database failures.
pub async fn vocabulary<C: ConnectionTrait>(db: &C) -> Result<Vocabulary, DbErr> {
    let kind = Alias::new("kind");
    let mut q = Query::select();
    q.expr_as(Expr::val("service"), kind.clone())
        .column(services::Column::Id)
        .column(services::Column::Name)
        .expr(Expr::val(0))
        .from(services::Entity)
        .and_where(services::Column::IsActive.eq(true));
    let mut people = Query::select();
    people
        .expr(Expr::val("staff"))
        .column(staff::Column::Id)
        .column(staff::Column::DisplayName)
        .expr(Expr::val(0))
        .from(staff::Entity)
        .and_where(staff::Column::IsActive.eq(true));
    let mut phrases = Query::select();
    phrases
        .column(synonyms::Column::Kind)
        .column(synonyms::Column::TargetId)
        .column(synonyms::Column::Phrase)
        .expr(Expr::val(1))
        .from(synonyms::Entity);
    q.union(UnionType::All, people).union(UnionType::All, phrases);
    let mut service_entries: Vec<Entry> = Vec::new();
    let mut staff_entries: Vec<Entry> = Vec::new();
    let mut aliases: Vec<(String, Uuid, String)> = Vec::new();
    for row in db.query_all(&q).await? {
        let kind: String = row.try_get_by_index(0)?;
        let id: Uuid = row.try_get_by_index(1)?;
        let text: String = row.try_get_by_index(2)?;
        let alias: i32 = row.try_get_by_index(3)?;
        if alias == 1 {
            aliases.push((kind, id, text));
            continue;
        }
        let entry = Entry { id, name: text, aliases: Vec::new() };
        if kind == "service" { service_entries.push(entry) } else { staff_entries.push(entry) }
    }
    for (kind, id, phrase) in aliases {
        let list = if kind == "service" { &mut service_entries } else { &mut staff_entries };
        if let Some(entry) = list.iter_mut().find(|e| e.id == id) {
            entry.aliases.push(phrase);
        }
    }
    // A stable order, so equal scores always resolve the same way.
    service_entries.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    staff_entries.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(Vocabulary::new(service_entries, staff_entries))
}

/// The salon's time zone and currency, and the vocabulary's version (`None` if its row was deleted by
/// hand: then nothing is kept), in one query.
///
/// # Errors
/// Database failures.
pub async fn context<C: ConnectionTrait>(db: &C) -> Result<(String, String, Option<i64>), DbErr> {
    let sql = "SELECT timezone, currency, (SELECT version FROM cache_versions WHERE name = 'vocabulary') FROM settings WHERE id = 1";
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("settings row 1 is missing".into()))?;
    Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?))
}

/// The vocabulary this process built last and the version it was read at: reused while the
/// database's version is the same (any process's change to services, staff or synonyms bumps
/// it), so a turn neither re-reads nor re-normalizes the catalog.
pub type VocabularyCache = crate::cache::Versioned<Vocabulary>;

/// A conversation of `user`, if it has not expired.
///
/// # Errors
/// Database failures.
pub async fn session<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<sessions::Model>, DbErr> {
    sessions::Entity::find_by_id(id)
        .filter(sessions::Column::UserId.eq(user))
        .filter(sessions::Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

/// A conversation of `user` under a front end's own key (Dialogflow's session), expired or not.
///
/// # Errors
/// Database failures.
pub async fn session_by_key<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    key: &str,
) -> Result<Option<sessions::Model>, DbErr> {
    sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user))
        .filter(sessions::Column::ExternalKey.eq(key))
        .one(db)
        .await
}

/// Writes a new conversation, removing the expired ones (the table only ever holds the
/// conversations of the last half hour or so), in one transaction: one commit per new
/// conversation.
///
/// # Errors
/// Database failures.
pub async fn insert_session(db: &sea_orm::DatabaseConnection, row: sessions::Model) -> Result<(), DbErr> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await?;
    sessions::Entity::delete_many()
        .filter(sessions::Column::ExpiresAt.lte(row.updated_at))
        .exec(&txn)
        .await?;
    sessions::Entity::insert(sessions::ActiveModel::from(row)).exec_without_returning(&txn).await?;
    txn.commit().await
}

/// Saves a conversation's state and pushes its expiry back; false when the row is gone.
///
/// # Errors
/// Database failures.
pub async fn update_session<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    state: String,
    client: Option<Uuid>,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = sessions::Entity::update_many()
        .col_expr(sessions::Column::State, Expr::value(state))
        .col_expr(sessions::Column::ClientId, Expr::value(client))
        .col_expr(sessions::Column::UpdatedAt, Expr::value(now))
        .col_expr(sessions::Column::ExpiresAt, Expr::value(expires))
        .filter(sessions::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// A client's pending and confirmed bookings that have not started, soonest first; with
/// `staff`, only that staff member's (a staff member acts on their own appointments, as in
/// v1).
///
/// # Errors
/// Database failures.
pub async fn upcoming<C: ConnectionTrait>(
    db: &C,
    client: Uuid,
    staff: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<bookings::Model>, DbErr> {
    let mut q = bookings::Entity::find()
        .filter(bookings::Column::ClientId.eq(client))
        .filter(bookings::Column::Status.is_in(["pending", "confirmed"]))
        .filter(bookings::Column::StartAt.gt(now));
    if let Some(staff) = staff {
        q = q.filter(bookings::Column::StaffId.eq(staff));
    }
    q.order_by(bookings::Column::StartAt, Order::Asc).all(db).await
}

/// Synonyms, by kind and phrase.
pub fn synonyms(kind: Option<&str>) -> Select<synonyms::Entity> {
    let mut q = synonyms::Entity::find();
    if let Some(kind) = kind {
        q = q.filter(synonyms::Column::Kind.eq(kind));
    }
    q.order_by_asc(synonyms::Column::Kind)
        .order_by_asc(synonyms::Column::Normalized)
        .order_by_asc(synonyms::Column::Id)
}
