//! SeaORM entities: rows as the database stores them. Responses never use these directly
//! (see each area's `model.rs` views), so a column such as `password_hash` cannot leak.

pub mod app_secrets;
pub mod booking_blocks;
pub mod booking_events;
pub mod bookings;
pub mod idempotency_keys;
pub mod invoice_counters;
pub mod invoice_lines;
pub mod invoices;
pub mod jobs;
pub mod login_throttle;
pub mod notifications;
pub mod payments;
pub mod products;
pub mod recommendation_model;
pub mod recommendations;
pub mod refresh_tokens;
pub mod refunds;
pub mod sale_lines;
pub mod sale_return_lines;
pub mod sale_returns;
pub mod sales;
pub mod service_categories;
pub mod service_products;
pub mod services;
pub mod settings;
pub mod staff;
pub mod staff_schedule_intervals;
pub mod staff_services;
pub mod staff_time_off;
pub mod stock_alerts;
pub mod stock_movements;
pub mod users;
pub mod voice_sessions;
pub mod voice_synonyms;
pub mod webhook_events;
