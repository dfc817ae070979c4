import { useEffect, useState, type RefObject } from 'react';
import { api, type Asset, type Filmstrip, type Model } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';

/** One frame at 30 fps: what `,` and `.` step by (the page does not know the clip's own rate). */
export const FRAME_STEP = 1 / 30;

/** Extends after which the UI says that quality tends to drift (SPEC §15.6). */
const DRIFT_AFTER = 3;

let ffmpegKnown: Promise<boolean> | null = null;

/** Whether the studio has ffmpeg (asked once per page; a failure counts as no). */
export function useFFmpeg(): boolean | null {
  const [has, setHas] = useState<boolean | null>(null);
  useEffect(() => {
    ffmpegKnown ??= api.status().then((s) => Boolean(s.ffmpeg), () => false);
    let live = true;
    void ffmpegKnown.then((v) => live && setHas(v));
    return () => {
      live = false;
    };
  }, []);
  return has;
}

/** The frame on screen, drawn by the browser from the same-origin video (no ffmpeg needed). */
export async function browserFrame(video: HTMLVideoElement): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext('2d');
  if (!ctx || !canvas.width) throw new Error('The video has no picture to grab yet.');
  ctx.drawImage(video, 0, 0);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('The frame could not be drawn.'))), 'image/png'));
}

/** Seeks a video and waits until the frame is there. */
function seek(video: HTMLVideoElement, t: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      video.removeEventListener('seeked', done);
      resolve();
    };
    video.addEventListener('seeked', done);
    video.currentTime = t;
  });
}

/**
 * A video's tools in the detail view: the filmstrip under the player (click or drag to seek;
 * `,` and `.` step a frame, handled by the detail), Save frame, Use as start/end frame, Extend.
 * Without ffmpeg the scrubber seeks the player and the browser grabs frames itself.
 */
export function VideoTools({
  asset,
  video,
  models,
  onUseFrame,
}: {
  asset: Asset;
  video: RefObject<HTMLVideoElement | null>;
  models: Model[];
  onUseFrame: (frame: Asset, url: string, model: Model, field: string) => void;
}) {
  const ffmpeg = useFFmpeg();
  const [strip, setStrip] = useState<Filmstrip | null>(null);
  const [time, setTime] = useState(0);
  const [duration, setDuration] = useState(0);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [extending, setExtending] = useState(false);
  const [chain, setChain] = useState(0);

  const starters = models.filter((m) => m.frames);
  const ender = starters.find((m) => m.frames?.end);

  useEffect(() => {
    setStrip(null);
    setMsg(null);
    setError(null);
    setExtending(false);
    if (!ffmpeg) return;
    let live = true;
    api.filmstrip(asset.id, 10).then(
      (r) => live && setStrip(r.filmstrip),
      () => undefined, // the scrubber still seeks the player
    );
    return () => {
      live = false;
    };
  }, [asset.id, ffmpeg]);

  useEffect(() => {
    setChain(0);
    if (!asset.sequenceId) return;
    let live = true;
    api.sequence(asset.sequenceId).then(
      (r) => live && setChain(r.assets.length),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [asset.sequenceId]);

  useEffect(() => {
    const v = video.current;
    if (!v) return;
    const onTime = () => setTime(v.currentTime);
    const onMeta = () => setDuration(Number.isFinite(v.duration) ? v.duration : 0);
    v.addEventListener('timeupdate', onTime);
    v.addEventListener('seeked', onTime);
    v.addEventListener('loadedmetadata', onMeta);
    onMeta();
    return () => {
      v.removeEventListener('timeupdate', onTime);
      v.removeEventListener('seeked', onTime);
      v.removeEventListener('loadedmetadata', onMeta);
    };
  }, [video, asset.id]);

  const total = strip?.durationSeconds || duration;
  const seekTo = (t: number) => {
    const v = video.current;
    if (!v) return;
    v.pause();
    v.currentTime = Math.max(0, Math.min(t, total || v.duration || 0));
  };
  const seekFromPointer = (e: React.PointerEvent<HTMLDivElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    seekTo(((e.clientX - r.left) / r.width) * total);
  };

  const run = async (what: string, fn: () => Promise<void>) => {
    setBusy(true);
    setMsg(null);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(messageOf(err, `${what} did not work.`));
    } finally {
      setBusy(false);
    }
  };

  /** Saves the frame on screen: on the server with ffmpeg, else drawn here and imported. */
  const saveFrame = async (): Promise<Asset> => {
    const v = video.current;
    if (!v) throw new Error('The player is not ready.');
    v.pause();
    const at = Math.min(v.currentTime, total || v.currentTime);
    if (ffmpeg) return (await api.grabFrame(asset.id, Math.round(at * 1000) / 1000)).asset;
    return (await api.importFrame(await browserFrame(v), asset.id, at)).asset;
  };

  const useFrame = (model: Model | undefined, end: boolean) =>
    run('Preparing the frame', async () => {
      if (!model?.frames) throw new Error('No model here takes a start frame.');
      const frame = await saveFrame();
      const { url } = await api.uploadAsset(frame.id);
      onUseFrame(frame, url, model, end ? (model.frames.end ?? model.frames.start) : model.frames.start);
    });

  return (
    <section className="video-tools" aria-label="Frames">
      {strip ? (
        <div
          className="filmstrip"
          role="presentation"
          data-testid="filmstrip"
          onPointerDown={(e) => {
            e.currentTarget.setPointerCapture(e.pointerId);
            seekFromPointer(e);
          }}
          onPointerMove={(e) => e.buttons === 1 && seekFromPointer(e)}
        >
          <img src={strip.url} alt="" draggable={false} />
          {total > 0 && <span className="playhead" style={{ left: `${(time / total) * 100}%` }} />}
        </div>
      ) : null}
      <label className="scrubber">
        <span className="sr-only">Position in the clip</span>
        <input
          type="range"
          min={0}
          max={total || 0}
          step={FRAME_STEP}
          value={Math.min(time, total || 0)}
          onChange={(e) => seekTo(Number(e.target.value))}
          aria-valuetext={`${time.toFixed(2)} of ${total.toFixed(2)} seconds`}
          data-testid="scrubber"
        />
        <output data-testid="frame-time">{time.toFixed(2)} s</output>
      </label>
      <p className="muted small">Drag the filmstrip or the slider to scrub; “,” and “.” step one frame.</p>
      <Banner kind="success">{msg}</Banner>
      <Banner kind="error">{error}</Banner>
      <div className="actions">
        <button type="button" className="btn" disabled={busy} onClick={() => void run('Saving the frame', async () => {
          await saveFrame();
          setMsg('Frame saved to the gallery.');
        })}>
          Save frame
        </button>
        {starters.length > 0 && (
          <button type="button" className="btn" disabled={busy} onClick={() => void useFrame(starters[0], false)}>
            Use as start frame
          </button>
        )}
        {ender && (
          <button type="button" className="btn" disabled={busy} onClick={() => void useFrame(ender, true)}>
            Use as end frame
          </button>
        )}
        {starters.length > 0 && (
          <button type="button" className="btn" aria-expanded={extending} disabled={busy} onClick={() => setExtending((x) => !x)}>
            Extend…
          </button>
        )}
      </div>
      {chain > DRIFT_AFTER && (
        <p className="notice" data-testid="drift-notice">
          This clip is part of a chain of {chain}. Quality tends to drift with each extend; consider starting again from a fresh frame.
        </p>
      )}
      {extending && (
        <ExtendForm
          asset={asset}
          models={starters}
          ffmpeg={ffmpeg !== false}
          busy={busy}
          onSubmit={(prompt, model) =>
            run('Extend', async () => {
              if (ffmpeg) {
                await api.extend(asset.id, { prompt, model: model.id });
                setExtending(false);
                setMsg('The next clip is on its way; it appears in the jobs panel.');
                return;
              }
              // Without ffmpeg: the browser grabs the last frame and Create takes it from there.
              const v = video.current;
              if (!v || !model.frames) throw new Error('The player is not ready.');
              await seek(v, Math.max(0, (v.duration || total) - 0.001));
              const frame = (await api.importFrame(await browserFrame(v), asset.id, v.currentTime)).asset;
              const { url } = await api.uploadAsset(frame.id);
              onUseFrame(frame, url, model, model.frames.start);
            })
          }
        />
      )}
    </section>
  );
}

function ExtendForm({
  asset,
  models,
  ffmpeg,
  busy,
  onSubmit,
}: {
  asset: Asset;
  models: Model[];
  ffmpeg: boolean;
  busy: boolean;
  onSubmit: (prompt: string, model: Model) => void;
}) {
  const [prompt, setPrompt] = useState('');
  const [modelId, setModelId] = useState(models.find((m) => m.id === asset.model)?.id ?? models[0]?.id ?? '');
  const model = models.find((m) => m.id === modelId);
  return (
    <form
      className="extend-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (model && prompt.trim()) onSubmit(prompt.trim(), model);
      }}
    >
      <label>
        What happens next
        <textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={2} required data-testid="extend-prompt" />
      </label>
      <label>
        Model
        <select value={modelId} onChange={(e) => setModelId(e.target.value)}>
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
      </label>
      <p className="muted small">
        {ffmpeg
          ? 'The clip’s last frame starts the next clip, with the same settings when the model is the same.'
          : 'This studio has no ffmpeg: the last frame is grabbed here and Create opens with it as the start frame.'}
      </p>
      <button type="submit" className="btn primary" disabled={busy || !prompt.trim() || !model}>
        Extend
      </button>
    </form>
  );
}
