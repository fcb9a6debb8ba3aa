//! `commons bench-data`: a community at scale, written with batched
//! multi-row INSERTs. Activity is skewed the way forums are: a few people
//! write much of the content and a few threads draw most replies. Counters
//! (reply counts, last post, likes) match the rows written, so the data
//! reads like what the application itself would have produced.

use std::{
    collections::{HashMap, HashSet},
    time::Instant,
};

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryOrder, QuerySelect,
};

use super::text;
use crate::{
    context::AppContext,
    db,
    entities::{
        exemption_event, exemption_request, forum_category, forum_post, forum_reaction,
        forum_read_state, forum_subscription, forum_tag, forum_thread, forum_thread_tag,
        publication_report, researcher_profile, user, workspace,
    },
    identity::{Role, Roles, Tier},
    markdown,
};

/// Every generated account signs in with this password.
pub const BENCH_PASSWORD: &str = "bench password 2026";

/// The email of the n-th generated account (1-based within its run's
/// numbering, which continues across `--append` runs).
pub fn bench_email(n: i64) -> String {
    format!("user{n}@bench.example.org")
}

/// Accounts 1..=ADMINS are admins, then moderators, then reviewers; the
/// rest are researchers.
pub const ADMINS: i64 = 1;
pub const MODERATORS: i64 = 5;
pub const REVIEWERS: i64 = 20;

pub fn first_reviewer() -> i64 {
    ADMINS + MODERATORS + 1
}

#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub users: usize,
    pub threads: usize,
    pub posts: usize,
    pub append: bool,
    pub seed: u64,
}

/// Rows a multi-row INSERT carries. Posts have 15 columns: 400 rows stay
/// well under SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
const CHUNK: usize = 400;
/// Rows per transaction.
const TXN_ROWS: usize = 20_000;

/// Inserts `rows` in multi-row statements of `CHUNK`, `TXN_ROWS` a
/// transaction.
async fn insert_all<A>(db: &DatabaseConnection, rows: Vec<A>) -> anyhow::Result<()>
where
    A: ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let txn = db::begin_write(db).await?;
        let mut in_txn = 0;
        while in_txn < TXN_ROWS && rows.peek().is_some() {
            let batch: Vec<A> = rows.by_ref().take(CHUNK).collect();
            in_txn += batch.len();
            A::Entity::insert_many(batch)
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    Ok(())
}

/// Zipf-like sampling over `n` items: item `i` has weight `1/(i+1)^s`.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..n.max(1))
            .map(|i| {
                total += 1.0 / ((i + 1) as f64).powf(s);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    fn sample(&self, rng: &mut StdRng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&1.0);
        let x = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|c| *c < x)
            .min(self.cumulative.len() - 1)
    }

    fn weight(&self, i: usize) -> f64 {
        let total = *self.cumulative.last().unwrap_or(&1.0);
        let prev = if i == 0 { 0.0 } else { self.cumulative[i - 1] };
        (self.cumulative[i] - prev) / total
    }
}

/// Renders markdown on every core: rendering is most of the CPU the
/// generator spends.
fn render_all(sources: &[String]) -> Vec<String> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let per = sources.len().div_ceil(cores).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .chunks(per)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|s| markdown::render(s, &|_| true).html)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

async fn next_id<E>(db: &DatabaseConnection, column: E::Column) -> anyhow::Result<i64>
where
    E: EntityTrait,
{
    let max: Option<i64> = E::find()
        .select_only()
        .column(column)
        .order_by_desc(column)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.unwrap_or(0) + 1)
}

/// Tallies for the closing report.
#[derive(Default)]
struct Tally {
    rows: u64,
}

fn rate(rows: u64, since: Instant) -> String {
    let secs = since.elapsed().as_secs_f64().max(0.001);
    format!(
        "{rows} rows in {secs:.1} s ({:.0} rows/s)",
        rows as f64 / secs
    )
}

pub async fn generate(ctx: &AppContext, scale: Scale) -> anyhow::Result<()> {
    let db = &ctx.db;
    let started = Instant::now();
    let existing = user::Entity::find().count(db).await?;
    anyhow::ensure!(
        existing == 0 || scale.append,
        "the database already has {existing} users; bench-data fills an empty database \
         (pass --append to add to it)"
    );
    anyhow::ensure!(scale.users >= 50, "--users must be at least 50");
    anyhow::ensure!(scale.threads >= 1, "--threads must be at least 1");
    anyhow::ensure!(
        scale.posts >= scale.threads,
        "--posts counts opening posts too: it must be at least --threads"
    );
    let mut rng = StdRng::seed_from_u64(scale.seed);
    let now = ctx.clock.now();
    let span = Duration::days(730);
    let origin = now - span;
    let mut tally = Tally::default();

    // Users. One argon2 hash for everyone: hashing is deliberately slow.
    let phase = Instant::now();
    let password_hash = crate::auth::password::hash(BENCH_PASSWORD.to_string()).await?;
    let first_user = next_id::<user::Entity>(db, user::Column::Id).await?;
    let mut users = Vec::with_capacity(scale.users);
    let mut handles = Vec::with_capacity(scale.users);
    let mut controlled = HashSet::new();
    for i in 0..scale.users as i64 {
        let id = first_user + i;
        let n = id; // numbering continues across --append runs
        let first = text::FIRST.choose(&mut rng).unwrap_or(&"Ada");
        let last = text::LAST.choose(&mut rng).unwrap_or(&"Lovelace");
        let handle: String = format!("{}{}{n}", first.to_lowercase(), &last[..1].to_lowercase())
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(32)
            .collect();
        let roles = if n <= ADMINS {
            Roles::new([Role::Admin, Role::Researcher])
        } else if n <= ADMINS + MODERATORS {
            Roles::new([Role::Moderator, Role::Researcher])
        } else if n <= ADMINS + MODERATORS + REVIEWERS {
            Roles::new([Role::Reviewer, Role::Researcher])
        } else {
            Roles::new([Role::Researcher])
        };
        let tier = if n <= ADMINS + MODERATORS + REVIEWERS || rng.random_bool(0.35) {
            controlled.insert(id);
            Tier::Controlled
        } else {
            Tier::Registered
        };
        let joined = origin + Duration::seconds(rng.random_range(0..span.num_seconds() / 2));
        handles.push(handle.clone());
        users.push(user::ActiveModel {
            id: Set(id),
            email: Set(bench_email(n)),
            handle: Set(handle),
            display_name: Set(format!("{first} {last}")),
            institution: Set(text::INSTITUTIONS
                .choose(&mut rng)
                .unwrap_or(&"")
                .to_string()),
            password_hash: Set(password_hash.clone()),
            roles: Set(roles.to_string()),
            tier: Set(tier.as_str().into()),
            status: Set("active".into()),
            email_verified_at: Set(Some(joined)),
            silenced_until: Set(None),
            created_at: Set(joined),
            last_seen_at: Set(None),
        });
    }
    let user_ids: Vec<i64> = (0..scale.users as i64).map(|i| first_user + i).collect();
    tally.rows += users.len() as u64;
    insert_all(db, users).await?;
    println!("users:        {}", rate(scale.users as u64, phase));

    // Profiles for a fifth of the researchers.
    let phase = Instant::now();
    let mut profiles = Vec::new();
    for &id in &user_ids {
        if rng.random_bool(0.2) {
            profiles.push(researcher_profile::ActiveModel {
                user_id: Set(id),
                research_interests: Set(text::paragraph(&mut rng, 2)),
                looking_for: Set(text::paragraph(&mut rng, 1)),
                open_to_collaborate: Set(rng.random_bool(0.7)),
                orcid: Set(None),
                career_stage: Set(None),
                created_at: Set(now - Duration::days(rng.random_range(1..300))),
                updated_at: Set(now - Duration::days(rng.random_range(0..30))),
            });
        }
    }
    let profile_count = profiles.len() as u64;
    tally.rows += profile_count;
    insert_all(db, profiles).await?;
    println!("profiles:     {}", rate(profile_count, phase));

    // Categories and tags: reuse what exists (--append), else create them.
    let mut categories = forum_category::Entity::find().all(db).await?;
    if categories.is_empty() {
        let rows: Vec<_> = text::CATEGORIES
            .iter()
            .enumerate()
            .map(
                |(i, (name, slug, description))| forum_category::ActiveModel {
                    name: Set(name.to_string()),
                    slug: Set(slug.to_string()),
                    description: Set(description.to_string()),
                    position: Set(i as i32),
                    required_roles: Set(String::new()),
                    created_at: Set(origin),
                    updated_at: Set(origin),
                    ..Default::default()
                },
            )
            .collect();
        insert_all(db, rows).await?;
        categories = forum_category::Entity::find().all(db).await?;
    }
    let mut tags = forum_tag::Entity::find().all(db).await?;
    if tags.is_empty() {
        let rows: Vec<_> = text::TAGS
            .iter()
            .map(|name| forum_tag::ActiveModel {
                name: Set(name.to_string()),
                description: Set(String::new()),
                retired_at: Set(None),
                created_by: Set(Some(user_ids[0])),
                created_at: Set(origin),
                ..Default::default()
            })
            .collect();
        insert_all(db, rows).await?;
        tags = forum_tag::Entity::find().all(db).await?;
    }
    let category_ids: Vec<i64> = categories.iter().map(|c| c.id).collect();
    let tag_ids: Vec<i64> = tags.iter().map(|t| t.id).collect();

    // Who writes: a Zipf over a shuffled order of users, so the most
    // active people are not simply the first accounts.
    let mut writers = user_ids.clone();
    {
        use rand::seq::SliceRandom;
        writers.shuffle(&mut rng);
    }
    let writer_zipf = Zipf::new(writers.len(), 1.0);
    let category_zipf = Zipf::new(category_ids.len(), 0.8);
    let tag_zipf = Zipf::new(tag_ids.len(), 0.9);

    // Replies per thread: Zipf over threads in random order (s = 0.7 gives
    // a few threads of thousands of posts and a median of a handful).
    let replies_total = scale.posts - scale.threads;
    let thread_zipf = Zipf::new(scale.threads, 0.7);
    let mut rank: Vec<usize> = (0..scale.threads).collect();
    {
        use rand::seq::SliceRandom;
        rank.shuffle(&mut rng);
    }
    let mut replies: Vec<usize> = rank
        .iter()
        .map(|&r| (replies_total as f64 * thread_zipf.weight(r)).floor() as usize)
        .collect();
    let mut missing = replies_total - replies.iter().sum::<usize>();
    while missing > 0 {
        let t = rng.random_range(0..scale.threads);
        replies[t] += 1;
        missing -= 1;
    }

    // Threads, their posts, tags, likes and watchers, one slice at a time
    // so memory stays flat.
    let phase = Instant::now();
    let first_thread = next_id::<forum_thread::Entity>(db, forum_thread::Column::Id).await?;
    let mut next_post = next_id::<forum_post::Entity>(db, forum_post::Column::Id).await?;
    let mut post_rows = 0u64;
    let mut other_rows = 0u64;
    const SLICE: usize = 2_000;
    let mut index = 0usize;
    while index < scale.threads {
        let end = (index + SLICE).min(scale.threads);
        let mut threads = Vec::new();
        let mut posts = Vec::new();
        let mut bodies = Vec::new();
        let mut thread_tags = Vec::new();
        let mut reactions = Vec::new();
        let mut watchers = Vec::new();
        for (i, reply_count) in replies.iter().enumerate().take(end).skip(index) {
            let thread_id = first_thread + i as i64;
            // More threads recently: a growing community.
            let position = (i as f64 / scale.threads as f64).sqrt();
            let created = origin
                + Duration::seconds((span.num_seconds() as f64 * position) as i64)
                + Duration::seconds(rng.random_range(0..3600));
            let created = created.min(now - Duration::minutes(5));
            let author = writers[writer_zipf.sample(&mut rng)];
            let category = category_ids[category_zipf.sample(&mut rng)];
            let n_posts = 1 + *reply_count;
            let mut t_watchers: HashSet<i64> = HashSet::new();
            t_watchers.insert(author);
            watchers.push((author, thread_id, "created", created));

            let mut thread_tag_ids = HashSet::new();
            for _ in 0..rng.random_range(0..4) {
                thread_tag_ids.insert(tag_ids[tag_zipf.sample(&mut rng)]);
            }
            for tag in thread_tag_ids {
                thread_tags.push(forum_thread_tag::ActiveModel {
                    thread_id: Set(thread_id),
                    tag_id: Set(tag),
                });
            }

            // Posts spread over up to 90 days after the thread starts.
            let remaining = (now - created).num_seconds().max(60);
            let lifetime = remaining.min(90 * 86_400);
            let mean_gap = (lifetime / n_posts as i64).max(1);
            let mut at = created;
            let mut first_post_id = 0;
            let mut last = (0i64, 0i32, author, created);
            let mut like_total = 0i32;
            let mut post_ids = Vec::with_capacity(n_posts);
            for number in 1..=n_posts as i32 {
                let post_id = next_post;
                next_post += 1;
                post_ids.push(post_id);
                let post_author = if number == 1 {
                    author
                } else {
                    writers[writer_zipf.sample(&mut rng)]
                };
                if number > 1 {
                    at += Duration::seconds(rng.random_range(1..=2 * mean_gap));
                    at = at.min(now - Duration::seconds(1));
                    if t_watchers.insert(post_author) {
                        watchers.push((post_author, thread_id, "replied", at));
                    }
                }
                if number == 1 {
                    first_post_id = post_id;
                }
                let mention = rng
                    .random_bool(0.08)
                    .then(|| handles[rng.random_range(0..handles.len())].as_str());
                let body = text::body(&mut rng, mention);
                // Likes: most posts none, a few many.
                let likes = match rng.random::<f64>() {
                    x if x < 0.7 => 0,
                    x if x < 0.95 => rng.random_range(1..4),
                    _ => rng.random_range(4..20),
                };
                let mut likers = HashSet::new();
                for _ in 0..likes {
                    likers.insert(user_ids[rng.random_range(0..user_ids.len())]);
                }
                likers.remove(&post_author);
                like_total += likers.len() as i32;
                for liker in &likers {
                    reactions.push(forum_reaction::ActiveModel {
                        post_id: Set(post_id),
                        user_id: Set(*liker),
                        kind: Set("like".into()),
                        created_at: Set(at),
                    });
                }
                let reply_to = (number > 2 && rng.random_bool(0.25))
                    .then(|| post_ids[rng.random_range(0..post_ids.len() - 1)]);
                posts.push(forum_post::ActiveModel {
                    id: Set(post_id),
                    thread_id: Set(thread_id),
                    number: Set(number),
                    author_id: Set(post_author),
                    reply_to_post_id: Set(reply_to),
                    quote_text: Set(None),
                    body: Set(String::new()),
                    body_html: Set(String::new()),
                    excerpt: Set(None),
                    like_count: Set(likers.len() as i32),
                    revision_count: Set(0),
                    moderation_state: Set("visible".into()),
                    deleted_at: Set(None),
                    deleted_by: Set(None),
                    created_at: Set(at),
                    edited_at: Set(None),
                });
                bodies.push(body);
                last = (post_id, number, post_author, at);
            }
            let solved = n_posts > 1 && rng.random_bool(0.25);
            let solved_post_id = solved.then(|| post_ids[rng.random_range(1..post_ids.len())]);
            threads.push(forum_thread::ActiveModel {
                id: Set(thread_id),
                category_id: Set(category),
                author_id: Set(author),
                title: Set(text::title(&mut rng)),
                first_post_id: Set(Some(first_post_id)),
                post_number_seq: Set(n_posts as i32),
                last_post_number: Set(last.1),
                reply_count: Set(n_posts as i32 - 1),
                view_count: Set((n_posts as i64) * rng.random_range(3..30)),
                like_count: Set(like_total),
                pinned: Set(rng.random_bool(0.002)),
                pinned_at: Set(None),
                locked: Set(false),
                solved_post_id: Set(solved_post_id),
                moderation_state: Set("visible".into()),
                deleted_at: Set(None),
                deleted_by: Set(None),
                created_at: Set(created),
                edited_at: Set(None),
                last_activity_at: Set(last.3),
                last_post_id: Set(Some(last.0)),
                last_poster_id: Set(Some(last.2)),
            });
        }
        let html = tokio::task::block_in_place(|| render_all(&bodies));
        for ((post, body), html) in posts.iter_mut().zip(bodies).zip(html) {
            if let Set(number) = post.number {
                post.excerpt = Set(crate::forum::posts::stored_excerpt(number, &body));
            }
            post.body = Set(body);
            post.body_html = Set(html);
        }
        post_rows += posts.len() as u64;
        other_rows += (threads.len() + thread_tags.len() + reactions.len() + watchers.len()) as u64;
        let watchers: Vec<_> = watchers
            .into_iter()
            .map(
                |(user_id, thread_id, reason, at)| forum_subscription::ActiveModel {
                    user_id: Set(user_id),
                    target_type: Set("thread".into()),
                    target_id: Set(thread_id),
                    level: Set("watching".into()),
                    reason: Set(reason.into()),
                    created_at: Set(at),
                    updated_at: Set(at),
                },
            )
            .collect();
        // Threads first: posts reference them.
        insert_all(db, threads).await?;
        insert_all(db, posts).await?;
        insert_all(db, thread_tags).await?;
        insert_all(db, reactions).await?;
        insert_all(db, watchers).await?;
        index = end;
        if index.is_multiple_of(10_000) || index == scale.threads {
            println!(
                "  threads {index}/{}: {post_rows} posts so far, {}",
                scale.threads,
                rate(post_rows + other_rows, phase)
            );
        }
    }
    tally.rows += post_rows + other_rows;
    println!(
        "forum:        {} posts, {} other rows; {}",
        post_rows,
        other_rows,
        rate(post_rows + other_rows, phase)
    );

    // Reading positions: the first 500 accounts (the ones the load test
    // signs in as) have read part of many threads, so unread counts vary.
    let phase = Instant::now();
    let readers = user_ids.iter().take(500);
    let all_threads: Vec<(i64, i32)> = forum_thread::Entity::find()
        .select_only()
        .column(forum_thread::Column::Id)
        .column(forum_thread::Column::LastPostNumber)
        .order_by_desc(forum_thread::Column::LastActivityAt)
        .limit(5_000)
        .into_tuple()
        .all(db)
        .await?;
    let mut reads = Vec::new();
    for &reader in readers {
        let mut seen = HashSet::new();
        for _ in 0..60 {
            let (thread_id, last) = all_threads[rng.random_range(0..all_threads.len())];
            if !seen.insert(thread_id) {
                continue;
            }
            let read = if rng.random_bool(0.6) {
                last
            } else {
                rng.random_range(1..=last.max(1))
            };
            reads.push(forum_read_state::ActiveModel {
                user_id: Set(reader),
                thread_id: Set(thread_id),
                last_read_post_number: Set(read),
                last_viewed_at: Set(now - Duration::hours(rng.random_range(1..500))),
                updated_at: Set(now - Duration::hours(rng.random_range(1..500))),
            });
        }
    }
    let read_rows = reads.len() as u64;
    tally.rows += read_rows;
    insert_all(db, reads).await?;
    println!("read states:  {}", rate(read_rows, phase));

    // Workspaces (a third of them controlled tier), exemption requests in
    // every state, and publication reports.
    let phase = Instant::now();
    let workspace_count = (scale.users / 8).max(10);
    let first_workspace = next_id::<workspace::Entity>(db, workspace::Column::Id).await?;
    let mut workspaces = Vec::new();
    let mut workspace_owner: HashMap<i64, i64> = HashMap::new();
    for i in 0..workspace_count as i64 {
        let id = first_workspace + i;
        let owner = writers[writer_zipf.sample(&mut rng)];
        workspace_owner.insert(id, owner);
        let tier = if controlled.contains(&owner) && rng.random_bool(0.5) {
            "controlled"
        } else {
            "registered"
        };
        let created = origin + Duration::seconds(rng.random_range(0..span.num_seconds()));
        let study = text::paragraph(&mut rng, 3);
        let approach = text::paragraph(&mut rng, 3);
        let findings = text::paragraph(&mut rng, 2);
        let published = rng.random_bool(0.7);
        workspaces.push(workspace::ActiveModel {
            id: Set(id),
            name: Set(text::title(&mut rng).chars().take(80).collect()),
            namespace: Set(format!("aou-rw-bench-{id}")),
            owner_id: Set(owner),
            intended_study_html: Set(markdown::render(&study, &|_| false).html),
            intended_study: Set(study),
            scientific_approach_html: Set(markdown::render(&approach, &|_| false).html),
            scientific_approach: Set(approach),
            anticipated_findings_html: Set(markdown::render(&findings, &|_| false).html),
            anticipated_findings: Set(findings),
            disease_focused: Set(rng.random_bool(0.5)),
            disease: Set(String::new()),
            methods_development: Set(rng.random_bool(0.3)),
            population_health: Set(rng.random_bool(0.3)),
            social_behavioral: Set(rng.random_bool(0.2)),
            ancestry: Set(rng.random_bool(0.2)),
            drug_development: Set(rng.random_bool(0.1)),
            educational: Set(rng.random_bool(0.1)),
            other_purpose: Set(false),
            other_purpose_text: Set(String::new()),
            tier: Set(tier.into()),
            cdr_version: Set(if rng.random_bool(0.6) { "v8" } else { "v7" }.into()),
            featured_category: Set(rng.random_bool(0.05).then(|| "community".to_string())),
            published_at: Set(published.then_some(created)),
            consented_at: Set(published.then_some(created)),
            consented_by: Set(published.then_some(owner)),
            duplicate_count: Set(rng.random_range(0..10)),
            version: Set(1),
            created_at: Set(created),
            updated_at: Set(created),
        });
    }
    tally.rows += workspaces.len() as u64;
    insert_all(db, workspaces).await?;

    let request_count = (scale.users / 25).max(20);
    let first_request =
        next_id::<exemption_request::Entity>(db, exemption_request::Column::Id).await?;
    let first_event = next_id::<exemption_event::Entity>(db, exemption_event::Column::Id).await?;
    let reviewers: Vec<i64> = user_ids
        .iter()
        .copied()
        .filter(|id| {
            let n = *id;
            n >= first_reviewer() && n < first_reviewer() + REVIEWERS
        })
        .collect();
    let states = [
        ("draft", 5),
        ("submitted", 20),
        ("in_review", 20),
        ("changes_requested", 10),
        ("resubmitted", 5),
        ("appealed", 5),
        ("approved", 20),
        ("denied", 10),
        ("withdrawn", 5),
    ];
    let state_total: u32 = states.iter().map(|(_, w)| w).sum();
    let mut requests = Vec::new();
    let mut events = Vec::new();
    let mut event_id = first_event;
    let workspace_ids: Vec<i64> = workspace_owner.keys().copied().collect();
    for i in 0..request_count as i64 {
        let id = first_request + i;
        let mut pick = rng.random_range(0..state_total);
        let state = states
            .iter()
            .find(|(_, w)| {
                if pick < *w {
                    true
                } else {
                    pick -= w;
                    false
                }
            })
            .map(|(s, _)| *s)
            .unwrap_or("submitted");
        let workspace_id = workspace_ids[rng.random_range(0..workspace_ids.len())];
        let requester = workspace_owner[&workspace_id];
        let created = now - Duration::days(rng.random_range(1..200));
        let submitted =
            (state != "draft").then(|| created + Duration::hours(rng.random_range(1..72)));
        let due = submitted.map(|s| s + Duration::days(rng.random_range(3..15)));
        let decided = matches!(state, "approved" | "denied")
            .then(|| submitted.unwrap_or(created) + Duration::days(rng.random_range(1..10)));
        let dissemination = text::paragraph(&mut rng, 3);
        let justification = text::paragraph(&mut rng, 2);
        let assignee = matches!(
            state,
            "in_review" | "changes_requested" | "approved" | "denied"
        )
        .then(|| reviewers.choose(&mut rng).copied())
        .flatten();
        requests.push(exemption_request::ActiveModel {
            id: Set(id),
            requester_id: Set(requester),
            workspace_id: Set(workspace_id),
            title: Set(format!("Counts below 20 for {}", text::title(&mut rng))
                .chars()
                .take(200)
                .collect()),
            dissemination_html: Set(markdown::render(&dissemination, &|_| false).html),
            dissemination: Set(dissemination),
            cells: Set(serde_json::json!([{
                "description": "Participants with the rare variant in the smallest ancestry group",
                "countMin": 1,
                "countMax": rng.random_range(2..20),
                "whyNotSuppressed": "The subgroup is the subject of the paper."
            }])
            .to_string()),
            justification_html: Set(markdown::render(&justification, &|_| false).html),
            justification: Set(justification),
            venue: Set("American Journal of Human Genetics".into()),
            publication_report_id: Set(None),
            needed_by: Set((created + Duration::days(rng.random_range(14..120))).date_naive()),
            state: Set(state.into()),
            version: Set(1),
            round: Set(if state == "draft" { 0 } else { 1 }),
            approvals_required: Set(if rng.random_bool(0.3) { 2 } else { 1 }),
            assignee_id: Set(assignee),
            queued_at: Set(submitted.unwrap_or(created)),
            submitted_at: Set(submitted),
            clock_started_at: Set(submitted),
            due_at: Set(due),
            reminded_due_at: Set(None),
            decided_at: Set(decided),
            decided_version: Set(decided.map(|_| 1)),
            decision_note: Set(String::new()),
            decision_note_html: Set(String::new()),
            appealed_at: Set(None),
            appeal_reason: Set(String::new()),
            created_at: Set(created),
            updated_at: Set(decided.or(submitted).unwrap_or(created)),
        });
        let mut event =
            |kind: &str, from: Option<&str>, to: &str, actor: i64, at: DateTime<Utc>| {
                events.push(exemption_event::ActiveModel {
                    id: Set(event_id),
                    request_id: Set(id),
                    actor_id: Set(Some(actor)),
                    kind: Set(kind.into()),
                    from_state: Set(from.map(str::to_string)),
                    to_state: Set(to.into()),
                    comment: Set(String::new()),
                    comment_html: Set(String::new()),
                    internal: Set(false),
                    request_version: Set(1),
                    created_at: Set(at),
                });
                event_id += 1;
            };
        event("create", None, "draft", requester, created);
        if let Some(at) = submitted {
            event("submit", Some("draft"), "submitted", requester, at);
        }
        if let (Some(reviewer), Some(at)) = (assignee, submitted) {
            event(
                "claim",
                Some("submitted"),
                "in_review",
                reviewer,
                at + Duration::hours(4),
            );
        }
    }
    let exemption_rows = (requests.len() + events.len()) as u64;
    tally.rows += exemption_rows;
    insert_all(db, requests).await?;
    insert_all(db, events).await?;

    let report_count = (scale.users / 20).max(10);
    let mut reports = Vec::new();
    let kinds = [
        "journal_article",
        "preprint",
        "conference_abstract",
        "poster",
        "oral_presentation",
    ];
    let statuses = ["planned", "submitted", "accepted", "published", "presented"];
    for _ in 0..report_count {
        let filer = writers[writer_zipf.sample(&mut rng)];
        let created = now - Duration::days(rng.random_range(1..600));
        let summary = text::paragraph(&mut rng, 2);
        let status = *statuses.choose(&mut rng).unwrap_or(&"submitted");
        let filed = rng.random_bool(0.85);
        let published = matches!(status, "published" | "presented");
        reports.push(publication_report::ActiveModel {
            filer_id: Set(filer),
            lead_author_id: Set(filer),
            output_type: Set(kinds.choose(&mut rng).unwrap_or(&"preprint").to_string()),
            title: Set(text::title(&mut rng)),
            summary_html: Set(markdown::render(&summary, &|_| false).html),
            summary: Set(summary),
            venue: Set("Journal of the American Medical Informatics Association".into()),
            submission_date: Set(Some((created + Duration::days(30)).date_naive())),
            presentation_date: Set(None),
            publication_date: Set(published.then(|| (created + Duration::days(90)).date_naive())),
            due_date: Set(Some((created + Duration::days(30)).date_naive())),
            tier: Set(Some(
                if controlled.contains(&filer) { "controlled" } else { "registered" }.into(),
            )),
            cdr_version: Set("v8".into()),
            status: Set(status.into()),
            filed_at: Set(filed.then_some(created)),
            late: Set(filed && rng.random_bool(0.1)),
            days_notice: Set(filed.then_some(30)),
            status_changed_at: Set(Some(created)),
            published_at: Set(published.then(|| created + Duration::days(90))),
            embargo_until: Set(None),
            doi: Set(published.then(|| format!("10.1000/bench.{}", rng.random_range(1..1_000_000)))),
            pmcid: Set(None),
            url: Set(None),
            exemption_request_id: Set(None),
            acknowledgement_included: Set(true),
            data_availability_included: Set(true),
            complies_with_policy: Set(true),
            data_availability_statement: Set(
                "Data are available to registered researchers in the All of Us Researcher \
                 Workbench (Registered Tier, CDR v8)."
                    .into(),
            ),
            date_reminder_for: Set(None),
            identifier_reminded_at: Set(None),
            created_at: Set(created),
            updated_at: Set(created),
            ..Default::default()
        });
    }
    tally.rows += reports.len() as u64;
    insert_all(db, reports).await?;
    println!(
        "programme:    {workspace_count} workspaces, {request_count} exemption requests, \
         {report_count} publication reports; {}",
        rate(
            workspace_count as u64 + exemption_rows + report_count as u64,
            phase
        )
    );

    if db::is_postgres(db) {
        // Ids were given explicitly: move each sequence past them.
        for table in [
            "users",
            "forum_categories",
            "forum_tags",
            "forum_threads",
            "forum_posts",
            "workspaces",
            "exemption_requests",
            "exemption_events",
            "publication_reports",
        ] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ))
            .await?;
        }
        // What autovacuum would soon do by itself after a bulk load.
        db.execute_unprepared("ANALYZE").await?;
    }

    let write_secs = started.elapsed().as_secs_f64();
    println!(
        "database:     {} rows in {write_secs:.1} s ({:.0} rows/s)",
        tally.rows,
        tally.rows as f64 / write_secs.max(0.001)
    );

    let phase = Instant::now();
    let stats = crate::indexer::rebuild_all(ctx).await?;
    println!(
        "search index: {} posts, {} workspaces, {} profiles in {:.1} s",
        stats.posts,
        stats.workspaces,
        stats.profiles,
        phase.elapsed().as_secs_f64()
    );
    println!("total:        {:.1} s", started.elapsed().as_secs_f64());
    println!();
    println!(
        "Accounts {} to {} sign in with the password {BENCH_PASSWORD:?}:",
        bench_email(first_user),
        bench_email(first_user + scale.users as i64 - 1)
    );
    if first_user == 1 {
        println!(
            "  {} is an admin, {}–{} moderators, {}–{} reviewers.",
            bench_email(1),
            bench_email(ADMINS + 1),
            bench_email(ADMINS + MODERATORS),
            bench_email(first_reviewer()),
            bench_email(first_reviewer() + REVIEWERS - 1)
        );
    }
    Ok(())
}
