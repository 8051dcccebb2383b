//! Availability loads its inputs in a fixed number of queries: no N+1 over staff or days;
//! and a services page that has not changed costs one statement.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use salon::booking::model::AvailabilityQuery;
use serde_json::json;
use uuid::Uuid;

/// A pool on the test's database that counts the statements it runs.
async fn counting_pool(app: &super::helpers::TestApp) -> (sea_orm::DatabaseConnection, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let mut db = salon::db::connect(&app.database_url).await.unwrap();
    let counter = count.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    (db, count)
}

api_test! {
    async fn availability_makes_the_same_two_queries_for_one_staff_day_or_five_staff_for_a_month(app) {
        let s = app.salon().await;
        let week: Vec<_> = (1..=7).map(|d| json!({"weekday": d, "start": "09:00", "end": "17:00"})).collect();
        for i in 0..4 {
            let staff = app.create_staff(&s.admin, &format!("extra{i}@salon.example")).await;
            let id = staff["id"].as_str().unwrap();
            app.put(&format!("/api/v1/staff/{id}/schedule")).token(&s.admin).json(json!({"intervals": week})).send().await;
            app.assign(&s.admin, id, &s.service_id).await;
            app.post(&format!("/api/v1/staff/{id}/time-off")).token(&s.admin).json(json!({"start_at": s.at("12:00"), "end_at": s.at("13:00")})).send().await;
        }
        app.book(&s.client, json!({"service_id": s.service_id, "staff_id": s.staff_id, "start_at": s.at("10:00")})).await;

        let (db, count) = counting_pool(&app).await;
        let service_id: Uuid = s.service_id.parse().unwrap();
        let mut queries = Vec::new();
        for (days, staff_id) in [(1, Some(s.staff_id.parse().unwrap())), (31, None)] {
            count.store(0, Ordering::SeqCst);
            let view = salon::booking::service::availability(&db, AvailabilityQuery { service_id, date: s.date, days: Some(days), staff_id }).await.unwrap();
            assert!(!view.slots.is_empty());
            queries.push(count.load(Ordering::SeqCst));
        }

        assert_eq!(queries, [2, 2], "settings, service and assignments; schedules, time off and busy blocks");
    }
}

api_test! {
    async fn an_unchanged_services_page_costs_one_query_and_any_change_is_read_again(app) {
        let (_, admin) = app.admin().await;
        app.create_service(&admin, "Men's cut", 30, 3500).await;

        let (db, count) = counting_pool(&app).await;
        let cache = salon::cache::RenderCache::default();
        let mut queries = Vec::new();
        for change in [false, false, true, false] {
            if change {
                app.create_service(&admin, "Shave", 20, 1800).await;
            }
            count.store(0, Ordering::SeqCst);
            let q = salon::catalog::model::ServiceListQuery { category_id: None, active: None, limit: None, offset: None };
            salon::catalog::service::list_services(&db, &cache, None, None, q).await.unwrap();
            queries.push(count.load(Ordering::SeqCst));
        }

        assert_eq!(queries, [2, 1, 2, 1], "the version, then the page only when the version moved");
    }
}

api_test! {
    async fn an_authenticated_services_read_reads_the_version_with_the_caller(app) {
        let (_, admin) = app.admin().await;
        let (_, client) = app.client().await;
        app.create_service(&admin, "Men's cut", 30, 3500).await;
        let (db, count) = counting_pool(&app).await;
        let counted = app.process_on(db).await;

        let mut queries = Vec::new();
        let mut names = Vec::new();
        for step in ["first", "repeat", "other write", "service write", "repeat"] {
            match step {
                "other write" => {
                    app.patch("/api/v1/settings").token(&admin).json(json!({"name": "Renamed salon"})).send().await;
                }
                "service write" => {
                    app.create_service(&admin, "Shave", 20, 1800).await;
                }
                _ => {}
            }
            count.store(0, Ordering::SeqCst);
            let res = counted.get("/api/v1/services").token(&client).send().await;
            queries.push(count.load(Ordering::SeqCst));
            names.push(res.body["items"].as_array().unwrap().len());
        }

        assert_eq!(queries, [2, 1, 1, 2, 1], "the caller with the version; the page only when the services changed");
        assert_eq!(names, [1, 1, 1, 2, 2]);
    }
}
