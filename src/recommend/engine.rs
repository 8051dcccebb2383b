//! The recommendation model, as pure functions over what happened (completed visits and
//! purchases), so the refresh job and the evaluation (`salon recommend-eval`) run the same code.
//!
//! - **Next service**: which service a client comes for next, ranked from their own visits
//!   (recency-weighted shares: a visit a year ago counts half), what they took after their last
//!   service before (their own sequence, then everyone's), and everyone's sequences after it.
//! - **When**: the client's last visit plus their own mean interval between visits, shrunk
//!   towards the salon's (the median over clients of each one's mean interval) by
//!   `PRIOR_WEIGHT` pseudo-intervals: with one interval of their own the estimate is a third
//!   theirs, with ten five sixths.
//! - **Other services and products**: item-item collaborative filtering: cosine similarity
//!   between items over the clients who had both (a service booked, a product bought), scored
//!   against what the client had; a product they bought before adds a repurchase score. The
//!   reason names the item that contributed most, with the counts behind it.
//! - **No history**: what is popular over the last year.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use uuid::Uuid;

/// Pseudo-intervals of the salon-wide prior in a client's interval estimate.
pub const PRIOR_WEIGHT: f64 = 2.0;
/// Recency: a visit's weight halves every this many days.
const HALF_LIFE_DAYS: f64 = 365.0;
/// How many services and products are kept per client (the read filters out what became
/// inactive or ran out since, and answers with the first five left).
pub const KEEP: usize = 10;

#[derive(Debug, Clone)]
pub struct Service {
    pub id: Uuid,
    pub name: String,
    pub category: Option<Uuid>,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: Uuid,
    pub name: String,
    /// Retail, active and in stock.
    pub available: bool,
}

/// Completed visits and purchases, by index into `services` and `products`.
#[derive(Debug, Clone, Default)]
pub struct Data {
    pub services: Vec<Service>,
    pub products: Vec<Product>,
    pub clients: Vec<Uuid>,
    /// (client, service, day), any order.
    pub visits: Vec<(usize, usize, NaiveDate)>,
    /// (client, product, day), any order.
    pub purchases: Vec<(usize, usize, NaiveDate)>,
}

/// One ranked item with the sentence that explains it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub index: usize,
    pub score: f64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Next {
    pub service: usize,
    pub due_on: NaiveDate,
    pub last_visit_on: NaiveDate,
    pub reason: String,
    /// 0 to 1: how much of the estimate is the client's own rhythm, and how regular it is.
    pub confidence: f64,
}

#[derive(Debug, Clone, Default)]
pub struct ClientRecs {
    pub next: Option<Next>,
    /// Candidates for the next service, best first (`next` is the first); for evaluation.
    pub next_ranking: Vec<usize>,
    pub services: Vec<Scored>,
    pub products: Vec<Scored>,
}

pub struct Model {
    /// The median over clients of their mean interval between visits (for anything).
    visit_interval: f64,
    /// transitions[a][b]: how often a visit for `b` followed one for `a` (same client).
    transitions: Vec<Vec<f64>>,
    /// Item-item cosine similarity; items are services, then products.
    similarity: Vec<Vec<f32>>,
    /// How many clients had both items, and each item (for the explanations).
    together: Vec<Vec<f32>>,
    clients_with: Vec<f32>,
    popular_services: Vec<Scored>,
    popular_products: Vec<Scored>,
    /// Per client: their visits (service, day) and purchases (product, day), oldest first.
    visits: Vec<Vec<(usize, NaiveDate)>>,
    purchases: Vec<Vec<(usize, NaiveDate)>>,
    services: Vec<Service>,
    products: Vec<Product>,
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) { (values[mid - 1] + values[mid]) / 2.0 } else { values[mid] })
}

fn weeks(days: f64) -> String {
    let w = (days / 7.0).round().max(1.0);
    if w == 1.0 { "week".into() } else { format!("{w} weeks") }
}

fn date(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

impl Model {
    /// Fits the model to `data`, as of `today` (recency and popularity are measured from it).
    pub fn fit(data: &Data, today: NaiveDate) -> Self {
        let (n_services, n_products) = (data.services.len(), data.products.len());
        let mut visits: Vec<Vec<(usize, NaiveDate)>> = vec![Vec::new(); data.clients.len()];
        for &(c, s, d) in &data.visits {
            visits[c].push((s, d));
        }
        let mut purchases: Vec<Vec<(usize, NaiveDate)>> = vec![Vec::new(); data.clients.len()];
        for &(c, p, d) in &data.purchases {
            purchases[c].push((p, d));
        }
        for v in visits.iter_mut().chain(purchases.iter_mut()) {
            v.sort_by_key(|&(i, d)| (d, i));
        }

        // Transitions between a client's consecutive visits; each client's mean interval
        // between visits (one value per client, so the many intervals of regulars do not
        // drown the few of occasional clients).
        let mut transitions = vec![vec![0.0; n_services]; n_services];
        for v in &visits {
            for w in v.windows(2) {
                transitions[w[0].0][w[1].0] += 1.0;
            }
        }
        let mut per_client: Vec<f64> = visits
            .iter()
            .filter(|v| v.len() >= 2)
            .map(|v| (v[v.len() - 1].1 - v[0].1).num_days() as f64 / (v.len() - 1) as f64)
            .collect();
        let visit_interval = median(&mut per_client).unwrap_or(42.0);

        // Item-item cosine over clients: who had both.
        let n_items = n_services + n_products;
        let mut count = vec![0.0_f32; n_items];
        let mut both = vec![vec![0.0_f32; n_items]; n_items];
        let mut items: Vec<usize> = Vec::new();
        for c in 0..data.clients.len() {
            items.clear();
            items.extend(visits[c].iter().map(|&(s, _)| s));
            items.extend(purchases[c].iter().map(|&(p, _)| n_services + p));
            items.sort_unstable();
            items.dedup();
            for (k, &a) in items.iter().enumerate() {
                count[a] += 1.0;
                for &b in &items[k + 1..] {
                    both[a][b] += 1.0;
                    both[b][a] += 1.0;
                }
            }
        }
        let together = both.clone();
        for (a, row) in both.iter_mut().enumerate() {
            for (b, v) in row.iter_mut().enumerate() {
                let norm = (count[a] * count[b]).sqrt();
                *v = if norm > 0.0 { *v / norm } else { 0.0 };
            }
        }

        // Popular over the last year.
        let year_ago = today - Duration::days(365);
        let mut service_count = vec![0.0; n_services];
        for &(_, s, d) in &data.visits {
            if d >= year_ago {
                service_count[s] += 1.0;
            }
        }
        let mut product_count = vec![0.0; n_products];
        for &(_, p, d) in &data.purchases {
            if d >= year_ago {
                product_count[p] += 1.0;
            }
        }
        let popular = |counts: &[f64], verb: &str, ok: &dyn Fn(usize) -> bool| {
            let total: f64 = counts.iter().sum::<f64>().max(1.0);
            let mut ranked: Vec<Scored> = (0..counts.len())
                .filter(|&i| ok(i) && counts[i] > 0.0)
                .map(|i| Scored {
                    index: i,
                    score: counts[i] / total,
                    reason: format!("popular: {verb} {} times in the last year", counts[i]),
                })
                .collect();
            ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
            ranked.truncate(KEEP);
            ranked
        };
        let popular_services = popular(&service_count, "booked", &|i| data.services[i].active);
        let popular_products = popular(&product_count, "bought", &|i| data.products[i].available);

        Self {
            visit_interval,
            transitions,
            similarity: both,
            together,
            clients_with: count,
            popular_services,
            popular_products,
            visits,
            purchases,
            services: data.services.clone(),
            products: data.products.clone(),
        }
    }

    pub fn popular_services(&self) -> &[Scored] {
        &self.popular_services
    }

    pub fn popular_products(&self) -> &[Scored] {
        &self.popular_products
    }

    /// What `client` (an index into `Data::clients`) is recommended, as of `today`.
    pub fn recommend(&self, client: usize, today: NaiveDate) -> ClientRecs {
        let visits = &self.visits[client];
        let purchases = &self.purchases[client];
        let n_services = self.services.len();
        let mut recs = ClientRecs::default();
        if visits.is_empty() && purchases.is_empty() {
            recs.services = self.popular_services.iter().take(KEEP).cloned().collect();
            recs.products = self.popular_products.iter().take(KEEP).cloned().collect();
            return recs;
        }

        if let Some(&(last, _)) = visits.last() {
            // Next service: own recency-weighted shares, own and everyone's sequences after
            // the last service.
            let weight = |d: NaiveDate| 0.5_f64.powf((today - d).num_days().max(0) as f64 / HALF_LIFE_DAYS);
            let mut share = vec![0.0; n_services];
            let mut own_after = vec![0.0; n_services];
            for (k, &(s, d)) in visits.iter().enumerate() {
                share[s] += weight(d);
                if k > 0 && visits[k - 1].0 == last {
                    own_after[s] += 1.0;
                }
            }
            let normalise = |v: &mut Vec<f64>| {
                let total: f64 = v.iter().sum();
                if total > 0.0 {
                    v.iter_mut().for_each(|x| *x /= total);
                }
            };
            normalise(&mut share);
            normalise(&mut own_after);
            let mut after = self.transitions[last].clone();
            normalise(&mut after);
            let score: Vec<f64> =
                (0..n_services).map(|s| 0.55 * share[s] + 0.3 * own_after[s] + 0.15 * after[s]).collect();
            let mut ranking: Vec<usize> =
                (0..n_services).filter(|&s| self.services[s].active && score[s] > 0.0).collect();
            ranking.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
            recs.next_ranking = ranking.clone();
            if let Some(&s) = ranking.first() {
                recs.next = self.due(visits, s);
            }
        }

        // Other services and products: similarity to what the client had.
        let mut profile: HashMap<usize, f64> = HashMap::new();
        for &(s, _) in visits {
            *profile.entry(s).or_default() += 1.0;
        }
        for &(p, _) in purchases {
            *profile.entry(n_services + p).or_default() += 1.0;
        }
        let total: f64 = profile.values().sum();
        let item_name = |i: usize| {
            if i < n_services {
                format!("book {}", self.services[i].name)
            } else {
                format!("buy {}", self.products[i - n_services].name)
            }
        };
        // "12 of the 40 clients who book Balayage also buy Colour-Protect Shampoo".
        let because_of = |i: usize, target: usize, verb: &str, name: &str| {
            format!(
                "{} of the {} clients who {} also {verb} {name}",
                self.together[i][target],
                self.clients_with[i],
                item_name(i)
            )
        };
        let similar = |target: usize| -> (f64, Option<usize>) {
            let mut best: (f64, Option<usize>) = (0.0, None);
            let mut sum = 0.0;
            for (&i, &w) in &profile {
                if i == target {
                    continue;
                }
                let s = f64::from(self.similarity[i][target]) * w / total;
                sum += s;
                if s > best.0 || (s == best.0 && best.1.is_some_and(|b| i < b)) {
                    best = (s, Some(i));
                }
            }
            (sum, best.1)
        };
        let next = recs.next.as_ref().map(|n| n.service);
        let mut services: Vec<Scored> = (0..n_services)
            .filter(|&s| self.services[s].active && Some(s) != next && !profile.contains_key(&s))
            .filter_map(|s| {
                let (score, because) = similar(s);
                let because = because.filter(|_| score > 0.0)?;
                Some(Scored {
                    index: s,
                    score,
                    reason: because_of(because, s, "book", &self.services[s].name),
                })
            })
            .collect();
        services.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
        services.truncate(KEEP);
        // Popular services the client has not had yet.
        fill(&mut services, &self.popular_services, |s| Some(s) == next || profile.contains_key(&s));
        recs.services = services;

        let bought: HashMap<usize, (f64, NaiveDate)> =
            purchases.iter().fold(HashMap::new(), |mut m, &(p, d)| {
                let e = m.entry(p).or_insert((0.0, d));
                e.0 += 1.0;
                e.1 = e.1.max(d);
                m
            });
        let n_bought = purchases.len().max(1) as f64;
        let mut products: Vec<Scored> = (0..self.products.len())
            .filter(|&p| self.products[p].available)
            .filter_map(|p| {
                let (similar_score, because) = similar(n_services + p);
                let again = bought.get(&p).map(|(n, last)| (0.5 * n / n_bought, *last));
                let score = similar_score + again.map_or(0.0, |(s, _)| s);
                if score <= 0.0 {
                    return None;
                }
                let reason = match (again, because) {
                    (Some((s, last)), _) if s >= similar_score => {
                        let times = bought[&p].0;
                        format!(
                            "you bought it {times} time{} (last on {})",
                            if times == 1.0 { "" } else { "s" },
                            date(last)
                        )
                    }
                    (_, Some(i)) => because_of(i, n_services + p, "buy", &self.products[p].name),
                    _ => return None,
                };
                Some(Scored { index: p, score, reason })
            })
            .collect();
        products.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
        products.truncate(KEEP);
        fill(&mut products, &self.popular_products, |_| false);
        recs.products = products;
        recs
    }

    /// When a client (with these `visits`) is due back, for service `s`, and why: their last
    /// visit plus their own interval between visits, shrunk towards everyone's. (Their
    /// interval for that one service alone was measured worse: with a second service in the
    /// mix it overshoots; see BENCHMARKS.md.)
    fn due(&self, visits: &[(usize, NaiveDate)], s: usize) -> Option<Next> {
        let &(last_service, last_any) = visits.last()?;
        let gaps: Vec<f64> = visits.windows(2).map(|w| (w[1].1 - w[0].1).num_days() as f64).collect();
        let n = gaps.len() as f64;
        let prior = self.visit_interval;
        let mean = if gaps.is_empty() { prior } else { gaps.iter().sum::<f64>() / n };
        let interval = (n * mean + PRIOR_WEIGHT * prior) / (n + PRIOR_WEIGHT);
        let due_on = last_any + Duration::days(interval.round() as i64);
        let spread = if gaps.len() >= 2 {
            let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (n - 1.0);
            var.sqrt() / mean.max(1.0)
        } else {
            1.0
        };
        let confidence = ((n / (n + PRIOR_WEIGHT)) / (1.0 + spread)).clamp(0.05, 0.95);
        let name = &self.services[s].name;
        let rhythm = if gaps.len() >= 2 {
            format!("you usually come every {}", weeks(mean))
        } else {
            format!("clients usually come back every {}", weeks(prior))
        };
        let last_of = visits.iter().rev().find(|(v, _)| *v == s).map(|&(_, d)| d);
        let reason = match last_of {
            _ if last_service == s => format!("Last {name} on {}; {rhythm}", date(last_any)),
            Some(d) => format!(
                "Last visit on {} ({}), last {name} on {}; {rhythm}",
                date(last_any),
                self.services[last_service].name,
                date(d)
            ),
            None => format!(
                "Last visit on {}; clients who had what you had often book {name} next; {rhythm}",
                date(last_any)
            ),
        };
        Some(Next {
            service: s,
            due_on,
            last_visit_on: last_any,
            reason,
            confidence: (confidence * 100.0).round() / 100.0,
        })
    }
}

/// Tops `list` up to `KEEP` with popular items it lacks (never one `except` refuses).
fn fill(list: &mut Vec<Scored>, popular: &[Scored], except: impl Fn(usize) -> bool) {
    for p in popular {
        if list.len() >= KEEP {
            break;
        }
        if !except(p.index) && !list.iter().any(|s| s.index == p.index) {
            list.push(Scored { score: 0.0, ..p.clone() });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(n)
    }

    fn data() -> Data {
        let service =
            |name: &str, active| Service { id: Uuid::now_v7(), name: name.into(), category: None, active };
        let product = |name: &str, available| Product { id: Uuid::now_v7(), name: name.into(), available };
        Data {
            services: vec![
                service("Cut", true),
                service("Colour", true),
                service("Perm", false),
                service("Balayage", true),
            ],
            products: vec![product("Shampoo", true), product("Colour-Protect", true), product("Gone", false)],
            clients: (0..4).map(|_| Uuid::now_v7()).collect(),
            visits: vec![],
            purchases: vec![],
        }
    }

    #[test]
    fn a_regular_is_due_on_their_own_rhythm_and_told_why() {
        let mut d = data();
        // Client 0: a colour every 42 days; everyone else every 28.
        d.visits = (0..5).map(|k| (0, 1, day(42 * k))).collect();
        d.visits.extend((0..8).flat_map(|k| [(1, 1, day(28 * k)), (2, 1, day(3 + 28 * k))]));
        let m = Model::fit(&d, day(200));
        let r = m.recommend(0, day(200));
        let next = r.next.unwrap();
        assert_eq!(next.service, 1);
        // Four intervals of 42 against the prior 28 weighted 2: (4*42 + 2*28) / 6 = 37.3.
        assert_eq!(next.due_on, day(168 + 37));
        assert!(next.reason.contains("Colour") && next.reason.contains("6 weeks"), "{}", next.reason);
        assert!(next.confidence > 0.5, "{next:?}");
    }

    #[test]
    fn with_one_visit_the_salon_rhythm_decides_and_says_so() {
        let mut d = data();
        d.visits = vec![(0, 1, day(100))];
        d.visits.extend((0..8).flat_map(|k| [(1, 1, day(28 * k)), (2, 1, day(3 + 28 * k))]));
        let m = Model::fit(&d, day(200));
        let next = m.recommend(0, day(200)).next.unwrap();
        assert_eq!(next.due_on, day(128));
        assert!(
            next.reason.contains("Last Colour on 11 Apr 2026; clients usually come back every 4 weeks"),
            "{}",
            next.reason
        );
    }

    #[test]
    fn inactive_services_and_unavailable_products_never_appear_and_newcomers_get_what_is_popular() {
        let mut d = data();
        // Everyone had the perm (now inactive) and bought the product that is gone.
        d.visits = (0..3).flat_map(|c| [(c, 2, day(10)), (c, 2, day(50)), (c, 3, day(60))]).collect();
        d.purchases = (0..3).flat_map(|c| [(c, 2, day(10)), (c, 1, day(60))]).collect();
        let m = Model::fit(&d, day(100));
        for c in 0..4 {
            let r = m.recommend(c, day(100));
            assert!(r.next.as_ref().is_none_or(|n| n.service != 2));
            assert!(
                r.services.iter().all(|s| s.index != 2) && r.products.iter().all(|p| p.index != 2),
                "{r:?}"
            );
        }
        let newcomer = m.recommend(3, day(100));
        assert!(newcomer.next.is_none());
        assert_eq!(newcomer.services[0].index, 3);
        assert!(newcomer.services[0].reason.contains("popular: booked 3 times"), "{:?}", newcomer.services);
        assert_eq!(newcomer.products[0].index, 1);
    }

    #[test]
    fn products_are_explained_by_what_the_client_had() {
        let mut d = data();
        // Balayage clients buy Colour-Protect; client 3 had a balayage and bought nothing yet.
        d.visits = vec![(0, 3, day(1)), (1, 3, day(2)), (2, 0, day(3)), (3, 3, day(4))];
        d.purchases = vec![(0, 1, day(1)), (1, 1, day(2)), (2, 0, day(3))];
        let m = Model::fit(&d, day(10));
        let r = m.recommend(3, day(10));
        assert_eq!(r.products[0].index, 1, "{r:?}");
        assert_eq!(r.products[0].reason, "2 of the 3 clients who book Balayage also buy Colour-Protect");
    }
}
