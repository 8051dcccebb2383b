//! `salon recommend-eval`: the model's quality on the database's history. Each client's last
//! completed visit and last purchase (all products of their last sale) are held out; the
//! model is fitted on everything else and ranks, for each such client, the next service and
//! products. Reported: hit rate at 3 (the held-out item among the first three) and mean
//! reciprocal rank (over the first ten), next to a popularity baseline (the most booked /
//! bought over the last year) and a "same as last time" baseline (the client's own most recent
//! distinct services / products); and the median absolute error in days of the due date.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use sea_orm::DatabaseConnection;

use super::engine::{Data, Model};

#[derive(Debug, Default, Clone, Copy)]
pub struct Score {
    pub cases: usize,
    hits: usize,
    reciprocal: f64,
}

impl Score {
    fn add(&mut self, ranking: &[usize], wanted: &HashSet<usize>) {
        self.cases += 1;
        let rank = ranking.iter().take(10).position(|i| wanted.contains(i));
        if rank.is_some_and(|r| r < 3) {
            self.hits += 1;
        }
        if let Some(r) = rank {
            self.reciprocal += 1.0 / (r as f64 + 1.0);
        }
    }

    pub fn hit_rate(&self) -> f64 {
        self.hits as f64 / self.cases.max(1) as f64
    }

    pub fn mrr(&self) -> f64 {
        self.reciprocal / self.cases.max(1) as f64
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub next_model: Score,
    pub next_popular: Score,
    pub next_last: Score,
    pub products_model: Score,
    pub products_popular: Score,
    pub products_last: Score,
    pub due_model_days: f64,
    pub due_baseline_days: f64,
    pub due_cases: usize,
    pub fit_ms: u128,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The client's distinct items, most recent first.
fn recent_distinct(items: &[(usize, NaiveDate)]) -> Vec<usize> {
    let mut seen = HashSet::new();
    items.iter().rev().filter(|(i, _)| seen.insert(*i)).map(|(i, _)| *i).collect()
}

/// Holds out, fits, ranks and scores.
pub fn evaluate(data: &Data) -> Report {
    let n = data.clients.len();
    let mut visits: Vec<Vec<(usize, NaiveDate)>> = vec![Vec::new(); n];
    for &(c, s, d) in &data.visits {
        visits[c].push((s, d));
    }
    let mut purchases: Vec<Vec<(usize, NaiveDate)>> = vec![Vec::new(); n];
    for &(c, p, d) in &data.purchases {
        purchases[c].push((p, d));
    }
    // Held out: the last visit of clients with two or more; the last purchase day's products
    // of clients who bought on two or more days.
    let mut held_visit: Vec<Option<(usize, NaiveDate)>> = vec![None; n];
    let mut held_products: Vec<Option<(HashSet<usize>, NaiveDate)>> = vec![None; n];
    let mut train = Data { visits: Vec::new(), purchases: Vec::new(), ..data.clone() };
    for c in 0..n {
        let v = &mut visits[c];
        v.sort_by_key(|&(s, d)| (d, s));
        if v.len() >= 2 {
            held_visit[c] = v.pop();
        }
        train.visits.extend(v.iter().map(|&(s, d)| (c, s, d)));
        let p = &mut purchases[c];
        p.sort_by_key(|&(i, d)| (d, i));
        let days: HashSet<NaiveDate> = p.iter().map(|&(_, d)| d).collect();
        if days.len() >= 2 {
            let last = p.last().map(|&(_, d)| d).unwrap_or_default();
            let held: HashSet<usize> = p.iter().filter(|(_, d)| *d == last).map(|&(i, _)| i).collect();
            p.retain(|(_, d)| *d != last);
            held_products[c] = Some((held, last));
        }
        train.purchases.extend(p.iter().map(|&(i, d)| (c, i, d)));
    }
    let today = data.visits.iter().chain(&data.purchases).map(|&(_, _, d)| d).max().unwrap_or_default()
        + Duration::days(1);
    let started = std::time::Instant::now();
    let model = Model::fit(&train, today);
    let fit_ms = started.elapsed().as_millis();
    let popular_services: Vec<usize> = model.popular_services().iter().map(|s| s.index).collect();
    let popular_products: Vec<usize> = model.popular_products().iter().map(|s| s.index).collect();
    // The due-date baseline: the last visit plus everyone's median interval between visits.
    let mut gaps = Vec::new();
    for v in &visits {
        gaps.extend(v.windows(2).map(|w| (w[1].1 - w[0].1).num_days() as f64));
    }
    let typical = median(gaps);

    let mut r = Report { fit_ms, ..Report::default() };
    let (mut due_model, mut due_base) = (Vec::new(), Vec::new());
    for c in 0..n {
        if held_visit[c].is_none() && held_products[c].is_none() {
            continue;
        }
        // As of the day after the data ends (the model's recency and popularity count from it).
        let recs = model.recommend(c, today);
        if let Some((service, day)) = held_visit[c] {
            let wanted = HashSet::from([service]);
            r.next_model.add(&recs.next_ranking, &wanted);
            r.next_popular.add(&popular_services, &wanted);
            r.next_last.add(&recent_distinct(&visits[c]), &wanted);
            if let (Some(next), Some(&(_, last))) = (&recs.next, visits[c].last()) {
                due_model.push((next.due_on - day).num_days().abs() as f64);
                let base = last + Duration::days(typical.round() as i64);
                due_base.push((base - day).num_days().abs() as f64);
            }
        }
        if let Some((wanted, _)) = &held_products[c] {
            let ranking: Vec<usize> = recs.products.iter().map(|p| p.index).collect();
            r.products_model.add(&ranking, wanted);
            r.products_popular.add(&popular_products, wanted);
            // The baseline, like the model, offers only what can be sold now.
            let again: Vec<usize> =
                recent_distinct(&purchases[c]).into_iter().filter(|&p| data.products[p].available).collect();
            r.products_last.add(&again, wanted);
        }
    }
    r.due_cases = due_model.len();
    r.due_model_days = median(due_model);
    r.due_baseline_days = median(due_base);
    r
}

/// Loads the database's history, evaluates, and prints the report.
///
/// # Errors
/// Database failures.
pub async fn run(db: &DatabaseConnection) -> anyhow::Result<Report> {
    let data = super::service::load(db).await?;
    let report = tokio::task::spawn_blocking(move || evaluate(&data)).await?;
    let row =
        |name: &str, s: &Score| format!("| {name} | {:.3} | {:.3} | {} |", s.hit_rate(), s.mrr(), s.cases);
    println!("| next service | hit rate at 3 | MRR | clients |\n| --- | --- | --- | --- |");
    println!("{}", row("model", &report.next_model));
    println!("{}", row("popularity", &report.next_popular));
    println!("{}", row("same as last time", &report.next_last));
    println!("\n| products | hit rate at 3 | MRR | clients |\n| --- | --- | --- | --- |");
    println!("{}", row("model", &report.products_model));
    println!("{}", row("popularity", &report.products_popular));
    println!("{}", row("same as last time", &report.products_last));
    println!(
        "\ndue date, median absolute error over {} clients: model {} days, baseline (last visit + everyone's median interval) {} days",
        report.due_cases, report.due_model_days, report.due_baseline_days
    );
    println!("fit on the training data: {} ms", report.fit_ms);
    let refreshed = super::service::refresh(db).await?;
    println!(
        "full refresh ({} clients): load {} ms, fit and rank {} ms, write {} ms",
        refreshed.clients, refreshed.load_ms, refreshed.fit_ms, refreshed.write_ms
    );
    Ok(report)
}
