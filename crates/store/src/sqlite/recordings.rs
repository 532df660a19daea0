//! Recordings and clips on SQLite. Opening a segment is one IMMEDIATE
//! transaction (create the recording if missing, number the segment after
//! the last, start it where the recording's timeline ends), so two
//! publications of one show can never share a number or overlap.

use async_trait::async_trait;
use sqlx::SqliteConnection;
use zhibo_domain::{RoomId, Timestamp, UserId};

use super::SqliteStore;
use crate::recordings::{ClipRecord, NewClip, RecordingRecord, RecordingStore, SegmentProgress, SegmentRecord};
use crate::{Result, StoreError};

#[derive(sqlx::FromRow)]
struct RecordingRow {
    id: i64,
    show_id: i64,
    file: String,
    started_at: i64,
    ended_at: Option<i64>,
    duration_ms: i64,
    bytes: i64,
    gaps: i64,
}

#[derive(sqlx::FromRow)]
struct SegmentRow {
    seq: i64,
    started_at: i64,
    ended_at: Option<i64>,
    media_start_ms: i64,
    duration_ms: i64,
}

#[derive(sqlx::FromRow)]
struct ClipRow {
    id: i64,
    show_id: i64,
    title: String,
    start_ms: i64,
    end_ms: i64,
    highlight_seq: Option<i64>,
    created_by: Option<i64>,
    created_at: i64,
}

impl From<ClipRow> for ClipRecord {
    fn from(row: ClipRow) -> ClipRecord {
        ClipRecord {
            id: row.id,
            show: RoomId(row.show_id),
            title: row.title,
            start_ms: row.start_ms,
            end_ms: row.end_ms,
            highlight_seq: row.highlight_seq.and_then(|s| u64::try_from(s).ok()),
            created_by: row.created_by.map(UserId),
            created_at: Timestamp(row.created_at),
        }
    }
}

const CLIP_COLUMNS: &str = "id, show_id, title, start_ms, end_ms, highlight_seq, created_by, created_at";

async fn load(conn: &mut SqliteConnection, show: RoomId) -> Result<Option<RecordingRecord>> {
    let row: Option<RecordingRow> = sqlx::query_as(
        "SELECT id, show_id, file, started_at, ended_at, duration_ms, bytes, gaps FROM recordings WHERE show_id = ?",
    )
    .bind(show.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let segments: Vec<SegmentRow> = sqlx::query_as(
        "SELECT seq, started_at, ended_at, media_start_ms, duration_ms FROM recording_segments \
         WHERE recording_id = ? ORDER BY seq",
    )
    .bind(row.id)
    .fetch_all(&mut *conn)
    .await?;
    let segments = segments
        .into_iter()
        .map(|s| {
            Ok(SegmentRecord {
                seq: u32::try_from(s.seq).map_err(|_| StoreError::Corrupt(format!("segment number {}", s.seq)))?,
                started_at: Timestamp(s.started_at),
                ended_at: s.ended_at.map(Timestamp),
                media_start_ms: s.media_start_ms,
                duration_ms: s.duration_ms,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(RecordingRecord {
        id: row.id,
        show: RoomId(row.show_id),
        file: row.file,
        started_at: Timestamp(row.started_at),
        ended_at: row.ended_at.map(Timestamp),
        duration_ms: row.duration_ms,
        bytes: row.bytes,
        gaps: row.gaps,
        segments,
    }))
}

#[async_trait]
impl RecordingStore for SqliteStore {
    async fn begin_segment(
        &self,
        show: RoomId,
        file: &str,
        at: Timestamp,
        min_media_start_ms: i64,
    ) -> Result<RecordingRecord> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM shows WHERE id = ?").bind(show.0).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("show {}", show.0)));
        }
        sqlx::query(
            "INSERT INTO recordings (show_id, file, started_at) VALUES (?, ?, ?) ON CONFLICT (show_id) DO NOTHING",
        )
        .bind(show.0)
        .bind(file)
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        let (id, duration): (i64, i64) = sqlx::query_as("SELECT id, duration_ms FROM recordings WHERE show_id = ?")
            .bind(show.0)
            .fetch_one(&mut *tx)
            .await?;
        let seq: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM recording_segments WHERE recording_id = ?")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO recording_segments (recording_id, seq, started_at, media_start_ms) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(seq)
        .bind(at.0)
        .bind(duration.max(min_media_start_ms))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE recordings SET ended_at = NULL WHERE id = ?").bind(id).execute(&mut *tx).await?;
        let record = load(&mut tx, show).await?.ok_or_else(|| StoreError::Corrupt("recording vanished".into()))?;
        tx.commit().await?;
        Ok(record)
    }

    async fn update_segment(&self, show: RoomId, seq: u32, progress: SegmentProgress) -> Result<()> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM recordings WHERE show_id = ?")
            .bind(show.0)
            .fetch_optional(&mut *tx)
            .await?;
        let id = id.ok_or_else(|| StoreError::NotFound(format!("recording of show {}", show.0)))?;
        let done = sqlx::query(
            "UPDATE recording_segments SET duration_ms = ?, gaps = ?, ended_at = ? WHERE recording_id = ? AND seq = ?",
        )
        .bind(progress.duration_ms.max(0))
        .bind(progress.gaps.max(0))
        .bind(progress.ended_at.map(|t| t.0))
        .bind(id)
        .bind(i64::from(seq))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("segment {seq} of show {}", show.0)));
        }
        // The recording's end is its newest segment's; a late report from
        // an older segment's writer never shortens it.
        sqlx::query(
            "UPDATE recordings SET \
               duration_ms = MAX(duration_ms, (SELECT media_start_ms + duration_ms FROM recording_segments \
                                               WHERE recording_id = ?1 AND seq = ?2)), \
               bytes = MAX(bytes, ?3), \
               gaps = (SELECT SUM(gaps) FROM recording_segments WHERE recording_id = ?1), \
               ended_at = CASE WHEN ?2 = (SELECT MAX(seq) FROM recording_segments WHERE recording_id = ?1) \
                               THEN ?4 ELSE ended_at END \
             WHERE id = ?1",
        )
        .bind(id)
        .bind(i64::from(seq))
        .bind(progress.bytes.max(0))
        .bind(progress.ended_at.map(|t| t.0))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn recording(&self, show: RoomId) -> Result<Option<RecordingRecord>> {
        // one read transaction: the row and its segments from one snapshot
        let mut tx = self.reader.begin().await?;
        let record = load(&mut tx, show).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn add_clip(&self, show: RoomId, clip: &NewClip) -> Result<ClipRecord> {
        let now = self.clock.now();
        let highlight = clip.highlight_seq.map(|s| i64::try_from(s).unwrap_or(i64::MAX));
        let row: ClipRow = sqlx::query_as(&format!(
            "INSERT INTO recording_clips (show_id, title, start_ms, end_ms, highlight_seq, created_by, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {CLIP_COLUMNS}"
        ))
        .bind(show.0)
        .bind(&clip.title)
        .bind(clip.start_ms)
        .bind(clip.end_ms)
        .bind(highlight)
        .bind(clip.created_by.map(|u| u.0))
        .bind(now.0)
        .fetch_one(&self.writer)
        .await?;
        Ok(row.into())
    }

    async fn clips(&self, show: RoomId) -> Result<Vec<ClipRecord>> {
        let rows: Vec<ClipRow> =
            sqlx::query_as(&format!("SELECT {CLIP_COLUMNS} FROM recording_clips WHERE show_id = ? ORDER BY id DESC"))
                .bind(show.0)
                .fetch_all(&self.reader)
                .await?;
        Ok(rows.into_iter().map(ClipRecord::from).collect())
    }

    async fn clip(&self, show: RoomId, id: i64) -> Result<Option<ClipRecord>> {
        let row: Option<ClipRow> =
            sqlx::query_as(&format!("SELECT {CLIP_COLUMNS} FROM recording_clips WHERE show_id = ? AND id = ?"))
                .bind(show.0)
                .bind(id)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(ClipRecord::from))
    }
}
