//! Black-box tests over HTTP. Every test runs twice: on a fresh SQLite file and, when
//! `SALON_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database (an unreachable URL fails).

#[macro_use]
mod helpers;

mod bookings;
mod catalog;
mod cli;
mod crash;
mod input;
mod inventory;
mod invoices;
mod jobs;
mod operations;
mod payments;
mod queries;
mod races;
mod recommendations;
mod roles;
mod sales;
mod sessions;
mod settings;
mod smtp_sink;
mod staff;
mod users;
mod voice;
