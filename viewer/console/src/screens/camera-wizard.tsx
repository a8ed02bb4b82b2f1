import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, seg } from "../api.js";
import type {
  ClassroomJson,
  InspectedProfile,
  Inspection,
  ScanDevice,
  StreamTestJson,
} from "../components/camera-types.js";
import { cameraTarget, type CameraTarget, type EdgeJson } from "../components/edge-types.js";
import { fieldError, onField } from "../components/field-error.js";
import { LivePreview } from "../components/live-preview.js";
import { LivePushSettings } from "../components/push-settings.js";
import { spanHosts } from "../components/scan-range.js";
import { fill, useLang, useT, type T } from "../i18n.js";
import { href, navigate } from "../router.js";
import { useSession } from "../session.js";
import { Badge, Empty, ErrorNotice, Field, Loading, Page, useLoad } from "../ui.js";

type Method = "onvif" | "rtsp" | "rtmp";
type StepId = "find" | "login" | "inspect" | "streams" | "test" | "room" | "done";

const stepsOf: Record<Method, readonly StepId[]> = {
  onvif: ["find", "login", "inspect", "streams", "test", "room", "done"],
  rtsp: ["find", "login", "test", "room", "done"],
  // Nothing to reach or test: the NVR pushes once it has the settings the last step shows.
  rtmp: ["find", "room", "done"],
};

function stepTitle(t: T, step: StepId, method: Method, relayed: boolean): string {
  switch (step) {
    case "find":
      return method === "onvif"
        ? t("Cari kamera", "Find the camera")
        : method === "rtsp"
          ? t("Alamat RTSP", "RTSP address")
          : t("Kirim lewat RTMP", "Push over RTMP");
    case "login":
      return t("Login kamera", "Camera login");
    case "inspect":
      return t("Periksa kamera", "Inspect");
    case "streams":
      return t("Pilih aliran", "Choose streams");
    case "test":
      return relayed ? t("Uji aliran", "Test streams") : t("Uji & pratinjau", "Test & preview");
    case "room":
      return t("Nama & kelas", "Name & classroom");
    case "done":
      return method === "rtmp" ? t("Pengaturan NVR", "NVR settings") : t("Selesai", "Done");
  }
}

/** The chosen ONVIF device: where its device service is, and what its scopes call it. */
interface Device {
  host: string;
  port: number;
  path: string;
  name: string;
}

interface Tests {
  main: StreamTestJson;
  sub?: StreamTestJson;
}

/** Everything the wizard has gathered; kept whole while the admin moves back and forth. */
interface WizardState {
  method: Method;
  step: StepId;
  multicast: boolean;
  iface: string;
  range: "cidr" | "span" | "none";
  cidr: string;
  from: string;
  to: string;
  devices: ScanDevice[] | undefined;
  device: Device | undefined;
  url: string;
  subUrl: string;
  username: string;
  password: string;
  inspection: Inspection | undefined;
  main: string;
  sub: string;
  tests: Tests | undefined;
  /** The camera saved (without a classroom) so its live picture can be previewed; the body it was saved with. */
  draft: { id: string; source: string } | undefined;
  /** The camera an NVR pushes (method rtmp), once saved: the last step shows where it pushes to. */
  pushed: string | undefined;
  name: string;
  classroomId: string;
}

const initial: WizardState = {
  method: "onvif",
  step: "find",
  multicast: true,
  iface: "",
  range: "cidr",
  cidr: "",
  from: "",
  to: "",
  devices: undefined,
  device: undefined,
  url: "",
  subUrl: "",
  username: "",
  password: "",
  inspection: undefined,
  main: "",
  sub: "",
  tests: undefined,
  draft: undefined,
  pushed: undefined,
  name: "",
  classroomId: "",
};

const hostOfUrl = (url: string) => {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
};

/**
 * A name a device gave itself, fit to be a camera's first name: a scan's scopes are whatever the device
 * says, and the gateway refuses names with markup characters (the admin can rename it at the last step).
 */
function nameFrom(scoped: string | undefined, fallback: string): string {
  const clean = (scoped ?? "")
    // eslint-disable-next-line no-control-regex
    .replace(/[<>;"`{}\\\x00-\x1f\x7f]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return (clean === "" ? fallback : clean).slice(0, 100);
}

/** A usable profile: H.264 or H.265 with a stream address. */
const usable = (p: InspectedProfile) => p.streamUri !== null && p.codec !== "unsupported";

/**
 * Adding a camera, step by step (`/cameras/new`): find it (ONVIF scan by multicast or an address range, or
 * an RTSP address pasted), its login, what it says about itself, the main and sub stream, a test that
 * measures what it sends with a live picture, then its name and classroom. At a hub, for a school with an
 * edge, every call goes to the edge's API through the hub (CameraTarget) and the picture plays once saved.
 * A camera an NVR pushes over RTMP asks only its name and classroom, then shows the NVR's settings; it is
 * pushed to this gateway's own listener (rtmp.enabled here), so it is registered here, edge or not.
 */
export function CameraWizardScreen() {
  const t = useT();
  const { school, gatewayRole } = useSession();
  const schoolId = school?.id ?? "";
  const target = useLoad(
    async () =>
      cameraTarget(
        schoolId,
        gatewayRole === "hub" ? (await api.get<{ edges: EdgeJson[] }>("/api/edges")).edges : undefined,
      ),
    [schoolId, gatewayRole],
  );
  if (target.data === undefined) {
    return (
      <Page title={t("Tambah kamera", "Add camera")}>
        {target.error !== undefined ? <ErrorNotice error={target.error} /> : <Loading />}
      </Page>
    );
  }
  return <WizardSteps target={target.data} />;
}

function WizardSteps(props: { target: CameraTarget }) {
  const t = useT();
  const { school } = useSession();
  const { target } = props;
  const relayed = target.edge !== undefined;
  const [w, setW] = useState<WizardState>(initial);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const set = (patch: Partial<WizardState>) => {
    setW((s) => ({ ...s, ...patch }));
  };
  const steps = stepsOf[w.method];
  const index = steps.indexOf(w.step);

  const go = (step: StepId) => {
    setError(undefined);
    set({ step });
  };
  useEffect(() => {
    heading.current?.focus();
  }, [w.step]);

  /** Runs one step's work, keeps its error to show, and moves on when it succeeded. */
  const run = async (work: () => Promise<Partial<WizardState> | undefined>) => {
    setBusy(true);
    setError(undefined);
    try {
      const patch = await work();
      if (patch) set(patch);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const cancel = async () => {
    if (w.draft !== undefined && w.step !== "done") {
      await api.delete(`/api/cameras/${seg(w.draft.id)}`);
    }
    navigate("/cameras");
  };

  const back =
    index > 0 && w.step !== "done" ? (
      <button
        type="button"
        class="btn"
        disabled={busy}
        onClick={() => {
          go(steps[index - 1] as StepId);
        }}
      >
        {t("Kembali", "Back")}
      </button>
    ) : null;

  let body: ComponentChildren;
  switch (w.step) {
    case "find":
      body = <FindStep w={w} set={set} run={run} busy={busy} error={error} target={target} go={go} />;
      break;
    case "login":
      body = (
        <LoginStep w={w} set={set} run={run} busy={busy} error={error} target={target} go={go} back={back} />
      );
      break;
    case "inspect":
      body = <InspectStep w={w} go={go} back={back} />;
      break;
    case "streams":
      body = <StreamsStep w={w} set={set} go={go} back={back} />;
      break;
    case "test":
      body = (
        <TestStep w={w} set={set} run={run} busy={busy} error={error} target={target} go={go} back={back} />
      );
      break;
    case "room":
      body = <RoomStep w={w} set={set} run={run} busy={busy} error={error} target={target} back={back} />;
      break;
    case "done":
      body = (
        <div class="wizard-done">
          <p class="notice ok" role="status">
            {fill(t("Kamera {name} tersimpan.", "Camera {name} is saved."), { name: w.name })}
          </p>
          {w.method === "rtmp" && w.pushed !== undefined && (
            <LivePushSettings cameraId={w.pushed} cameraName={w.name} timeZone={school?.timeZone} />
          )}
          <div class="actions">
            <a class="btn primary" href={href("/cameras")}>
              {t("Ke daftar kamera", "Go to the camera list")}
            </a>
            <button
              type="button"
              class="btn"
              onClick={() => {
                setW(initial);
              }}
            >
              {t("Tambah kamera lain", "Add another camera")}
            </button>
          </div>
        </div>
      );
      break;
  }

  return (
    <Page title={t("Tambah kamera", "Add camera")}>
      {target.edge !== undefined && w.method !== "rtmp" && (
        <p class="notice edge-target" role="note">
          {fill(
            t(
              "Sekolah ini memakai gateway edge {name}: pencarian, pemeriksaan dan uji berjalan di sekolah, dan kata sandi kamera disimpan di sana saja.",
              "This school uses the edge gateway {name}: the scan, inspect and test run at the school, and the camera's password is kept there only.",
            ),
            { name: target.edge.name },
          )}
        </p>
      )}
      <nav aria-label={t("Langkah", "Steps")}>
        <ol class="wizard-steps">
          {steps.map((s, i) => (
            <li
              key={s}
              aria-current={s === w.step ? "step" : undefined}
              class={i < index ? "past" : s === w.step ? "current" : ""}
            >
              <span class="step-no" aria-hidden="true">
                {i + 1}
              </span>
              <span class="step-name">{stepTitle(t, s, w.method, relayed)}</span>
            </li>
          ))}
        </ol>
      </nav>
      <section class="card wizard-step" aria-labelledby="step-title" data-step={w.step}>
        <h3 id="step-title" ref={heading} tabIndex={-1}>
          {fill(t("Langkah {n} dari {all}: {title}", "Step {n} of {all}: {title}"), {
            n: index + 1,
            all: steps.length,
            title: stepTitle(t, w.step, w.method, relayed),
          })}
        </h3>
        {body}
      </section>
      {w.step !== "done" && (
        <p class="wizard-cancel">
          <button
            type="button"
            class="btn plain"
            disabled={busy}
            onClick={() => {
              void cancel().catch((e: unknown) => {
                setError(e);
              });
            }}
          >
            {w.draft !== undefined
              ? t("Batalkan dan hapus kamera ini", "Cancel and remove this camera")
              : t("Batal", "Cancel")}
          </button>
        </p>
      )}
    </Page>
  );
}

interface StepProps {
  w: WizardState;
  set: (patch: Partial<WizardState>) => void;
  run: (work: () => Promise<Partial<WizardState> | undefined>) => Promise<void>;
  busy: boolean;
  error: unknown;
  go: (step: StepId) => void;
  back?: ComponentChildren;
  target: CameraTarget;
}

/** Step 1: a scan (multicast and/or a range), an RTSP address, or a push over RTMP (where the gateway takes it). */
function FindStep(props: StepProps) {
  const t = useT();
  const lang = useLang();
  const { rtmpEnabled } = useSession();
  const { w, set } = props;
  const [rangeError, setRangeError] = useState<string | undefined>(undefined);
  const scan = () =>
    props.run(async () => {
      setRangeError(undefined);
      const body: Record<string, unknown> = { multicast: w.multicast };
      if (w.multicast && w.iface.trim() !== "") body.interface = w.iface.trim();
      if (w.range === "cidr" && w.cidr.trim() !== "") body.cidr = w.cidr.trim();
      if (w.range === "span" && w.from.trim() !== "") {
        const hosts = spanHosts(w.from, w.to);
        if (hosts === "bad_address" || hosts === "too_many") {
          setRangeError(
            hosts === "too_many"
              ? t(
                  "Rentang terlalu besar: paling banyak 1024 alamat sekali pindai.",
                  "The range is too large: at most 1024 addresses per scan.",
                )
              : t(
                  "Tulis dua alamat IPv4, yang kedua tidak lebih kecil, misalnya 192.168.1.1 sampai 192.168.1.254.",
                  "Type two IPv4 addresses, the second not lower, e.g. 192.168.1.1 to 192.168.1.254.",
                ),
          );
          return undefined;
        }
        body.hosts = hosts;
      }
      const r = await api.post<{ devices: ScanDevice[] }>(`${props.target.base}/discovery/scan`, body);
      return { devices: r.devices };
    });
  const choose = (d: ScanDevice) => {
    const u = new URL(d.deviceServiceUrl ?? `http://${d.address}/onvif/device_service`);
    set({
      device: {
        host: d.address,
        port: u.port === "" ? 80 : Number(u.port),
        path: u.pathname,
        name: nameFrom(d.scopes.name, d.address),
      },
      inspection: undefined,
      tests: undefined,
      name: "",
      step: "login",
    });
  };
  const scanFields = ["multicast", "interface", "cidr", "hosts"];
  return (
    <>
      <fieldset class="choice">
        <legend>{t("Bagaimana kamera ditambahkan?", "How is the camera added?")}</legend>
        <label class="radio">
          <input
            type="radio"
            name="method"
            value="onvif"
            checked={w.method === "onvif"}
            onChange={() => {
              set({ method: "onvif", tests: undefined });
            }}
          />
          {t("Cari kamera ONVIF di jaringan", "Scan the network for ONVIF cameras")}
        </label>
        <label class="radio">
          <input
            type="radio"
            name="method"
            value="rtsp"
            checked={w.method === "rtsp"}
            onChange={() => {
              set({ method: "rtsp", tests: undefined });
            }}
          />
          {t("Tempel alamat RTSP", "Paste an RTSP URL")}
        </label>
        <label class="radio">
          <input
            type="radio"
            name="method"
            value="rtmp"
            disabled={!rtmpEnabled}
            aria-describedby="rtmp-choice-hint"
            checked={w.method === "rtmp"}
            onChange={() => {
              set({ method: "rtmp", tests: undefined });
            }}
          />
          {t("NVR/encoder saya mengirim (push) lewat RTMP", "My NVR/encoder pushes over RTMP")}
        </label>
        <p id="rtmp-choice-hint" class={rtmpEnabled ? "hint" : "hint rtmp-off"}>
          {rtmpEnabled
            ? t(
                "Untuk NVR yang tidak bisa ditarik lewat RTSP: Pantau memberi alamat tujuan, dan Anda memasukkannya di NVR.",
                "For an NVR that cannot be pulled over RTSP: Pantau gives an address to push to, and you enter it in the NVR.",
              )
            : t(
                "Tidak tersedia: penerimaan RTMP mati di gateway ini. Operator menyalakannya dengan pengaturan rtmp.enabled (PANTAU_RTMP_ENABLED=1).",
                "Not available: RTMP push is off on this gateway. An operator turns it on with the setting rtmp.enabled (PANTAU_RTMP_ENABLED=1).",
              )}
        </p>
      </fieldset>
      {w.method === "rtmp" ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            props.go("room");
          }}
        >
          <p>
            {t(
              "Berikutnya: nama dan kelas kamera. Setelah disimpan, Pantau menampilkan server dan kunci aliran untuk NVR.",
              "Next: the camera's name and classroom. Once saved, Pantau shows the server and stream key for the NVR.",
            )}
          </p>
          <div class="actions">
            <button type="submit" class="btn primary" disabled={!rtmpEnabled}>
              {t("Lanjut", "Next")}
            </button>
          </div>
        </form>
      ) : w.method === "rtsp" ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            props.go("login");
          }}
        >
          <Field
            label={t("Alamat RTSP aliran utama", "Main stream RTSP URL")}
            hint={t(
              "Dari buku panduan atau halaman pengaturan kamera, misalnya rtsp://192.168.1.64:554/Streaming/Channels/101",
              "From the camera's manual or settings page, e.g. rtsp://192.168.1.64:554/Streaming/Channels/101",
            )}
            error={fieldError(props.error, ["url", "source.url"], lang)}
          >
            <input
              name="url"
              type="text"
              inputMode="url"
              autocomplete="off"
              spellcheck={false}
              required
              value={w.url}
              onInput={(e) => {
                set({ url: e.currentTarget.value, tests: undefined });
              }}
            />
          </Field>
          <Field
            label={t("Alamat aliran kecil (boleh kosong)", "Sub-stream URL (optional)")}
            hint={t("Aliran kecil untuk ponsel orang tua.", "A smaller stream for parents' phones.")}
            error={fieldError(props.error, ["subUrl", "source.subUrl"], lang)}
          >
            <input
              name="subUrl"
              type="text"
              inputMode="url"
              autocomplete="off"
              spellcheck={false}
              value={w.subUrl}
              onInput={(e) => {
                set({ subUrl: e.currentTarget.value, tests: undefined });
              }}
            />
          </Field>
          <div class="actions">
            <button type="submit" class="btn primary">
              {t("Lanjut", "Next")}
            </button>
          </div>
        </form>
      ) : (
        <>
          <form
            class="scan-form"
            onSubmit={(e) => {
              e.preventDefault();
              void scan();
            }}
          >
            <label class="check">
              <input
                type="checkbox"
                name="multicast"
                checked={w.multicast}
                onChange={(e) => {
                  set({ multicast: e.currentTarget.checked });
                }}
              />
              {t("Multicast (WS-Discovery) di jaringan ini", "Multicast (WS-Discovery) on this network")}
            </label>
            {w.multicast && (
              <Field
                label={t("Antarmuka jaringan (boleh kosong)", "Network interface (optional)")}
                hint={t(
                  "Nama atau alamat antarmuka gateway, misalnya eth0. Kosong: bawaan pengaturan.",
                  "The gateway's interface name or address, e.g. eth0. Empty: the configured one.",
                )}
                error={fieldError(props.error, ["interface"], lang)}
              >
                <input
                  name="interface"
                  value={w.iface}
                  autocomplete="off"
                  onInput={(e) => {
                    set({ iface: e.currentTarget.value });
                  }}
                />
              </Field>
            )}
            <fieldset class="choice">
              <legend>{t("Juga pindai rentang alamat", "Also scan an address range")}</legend>
              {(
                [
                  ["cidr", t("CIDR, misalnya 192.168.1.0/24", "CIDR, e.g. 192.168.1.0/24")],
                  ["span", t("Dari alamat … sampai …", "From address … to …")],
                  ["none", t("Tidak", "No")],
                ] as const
              ).map(([value, label]) => (
                <label class="radio" key={value}>
                  <input
                    type="radio"
                    name="range"
                    value={value}
                    checked={w.range === value}
                    onChange={() => {
                      set({ range: value });
                    }}
                  />
                  {label}
                </label>
              ))}
            </fieldset>
            {w.range === "cidr" && (
              <Field
                label={t("Rentang (CIDR)", "Range (CIDR)")}
                error={fieldError(props.error, ["cidr"], lang)}
              >
                <input
                  name="cidr"
                  value={w.cidr}
                  autocomplete="off"
                  spellcheck={false}
                  placeholder="192.168.1.0/24"
                  onInput={(e) => {
                    set({ cidr: e.currentTarget.value });
                  }}
                />
              </Field>
            )}
            {w.range === "span" && (
              <div class="span-fields">
                <Field
                  label={t("Dari", "From")}
                  error={rangeError ?? fieldError(props.error, ["hosts"], lang)}
                >
                  <input
                    name="from"
                    value={w.from}
                    autocomplete="off"
                    placeholder="192.168.1.1"
                    onInput={(e) => {
                      set({ from: e.currentTarget.value });
                    }}
                  />
                </Field>
                <Field label={t("Sampai", "To")}>
                  <input
                    name="to"
                    value={w.to}
                    autocomplete="off"
                    placeholder="192.168.1.254"
                    onInput={(e) => {
                      set({ to: e.currentTarget.value });
                    }}
                  />
                </Field>
              </div>
            )}
            {!onField(props.error, scanFields) && <ErrorNotice error={props.error} />}
            <div class="actions">
              <button type="submit" class="btn primary" disabled={props.busy} aria-busy={props.busy}>
                {props.busy ? t("Memindai…", "Scanning…") : t("Pindai", "Scan")}
              </button>
            </div>
          </form>
          {w.devices !== undefined && (
            <section aria-labelledby="found-title" class="scan-results">
              <h4 id="found-title">
                {fill(t("Ditemukan: {n} perangkat", "Found: {n} devices"), { n: w.devices.length })}
              </h4>
              {w.devices.length === 0 ? (
                <Empty>
                  {t(
                    "Tidak ada kamera yang menjawab. Pastikan ONVIF aktif di kamera, atau pindai rentang alamatnya.",
                    "No camera answered. Make sure ONVIF is on in the camera, or scan its address range.",
                  )}
                </Empty>
              ) : (
                <ul class="devices">
                  {w.devices.map((d) => (
                    <li key={d.uuid} class="device">
                      <div>
                        <strong class="device-name">{d.scopes.name ?? t("Tanpa nama", "No name")}</strong>
                        {d.scopes.hardware !== undefined && <span class="hint"> · {d.scopes.hardware}</span>}
                        <br />
                        <span class="device-address">{d.address}</span>
                        {d.registered && (
                          <>
                            {" "}
                            <Badge tone="muted">{t("Sudah terdaftar", "Already registered")}</Badge>
                            {d.cameras.length > 0 && (
                              <span class="hint"> {d.cameras.map((c) => c.name).join(", ")}</span>
                            )}
                          </>
                        )}
                      </div>
                      <button
                        type="button"
                        class="btn"
                        disabled={d.registered}
                        onClick={() => {
                          choose(d);
                        }}
                      >
                        {t("Pilih", "Choose")}
                        <span class="visually-hidden"> {d.scopes.name ?? d.address}</span>
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          )}
        </>
      )}
    </>
  );
}

/** Step 2: the camera's login; ONVIF is asked at once, an RTSP address is tested. */
function LoginStep(props: StepProps) {
  const t = useT();
  const { w, set } = props;
  const submit = () =>
    props
      .run(async () => {
        const creds = { username: w.username, password: w.password };
        if (w.method === "onvif" && w.device) {
          const d = w.device;
          const inspection = await api.post<Inspection>(`${props.target.base}/onvif/inspect`, {
            host: d.host,
            port: d.port,
            path: d.path,
            ...creds,
          });
          return {
            inspection,
            main: inspection.suggested.main ?? inspection.profiles.find(usable)?.token ?? "",
            sub: inspection.suggested.sub ?? "",
            tests: undefined,
            name: w.name || d.name,
            step: "inspect",
          };
        }
        return {
          tests: await testStreams(w, props.target),
          name: w.name || fill(t("Kamera {host}", "Camera {host}"), { host: hostOfUrl(w.url) }),
          step: "test",
        };
      })
      .then(() => undefined);
  // An RTSP address the gateway refused is shown on its field, one step back.
  useEffect(() => {
    if (onField(props.error, ["url", "subUrl"])) props.set({ step: "find" });
  }, [props.error]);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      {w.method === "onvif" && w.device && (
        <p>
          {fill(t("Kamera: {name} di {host}", "Camera: {name} at {host}"), {
            name: w.device.name,
            host: w.device.host,
          })}
        </p>
      )}
      <Field
        label={t("Nama pengguna kamera", "Camera username")}
        hint={t("Seperti untuk masuk ke halaman web kamera.", "As used to sign in to the camera's web page.")}
      >
        <input
          name="username"
          autocomplete="off"
          value={w.username}
          onInput={(e) => {
            set({ username: e.currentTarget.value, inspection: undefined, tests: undefined });
          }}
        />
      </Field>
      <Field label={t("Kata sandi kamera", "Camera password")}>
        <input
          name="password"
          type="password"
          autocomplete="new-password"
          value={w.password}
          onInput={(e) => {
            set({ password: e.currentTarget.value, inspection: undefined, tests: undefined });
          }}
        />
      </Field>
      {!onField(props.error, ["url", "subUrl"]) && <ErrorNotice error={props.error} />}
      {props.busy && (
        <p role="status" class="loading">
          {w.method === "onvif"
            ? t("Menanyai kamera…", "Asking the camera…")
            : t("Menguji aliran (±2 detik)…", "Testing the stream (about 2 seconds)…")}
        </p>
      )}
      <div class="actions">
        {props.back}
        <button type="submit" class="btn primary" disabled={props.busy}>
          {w.method === "onvif" ? t("Periksa kamera", "Inspect camera") : t("Uji aliran", "Test stream")}
        </button>
      </div>
    </form>
  );
}

/** Tests the chosen main (and sub) stream: codec and size from the camera, fps and bitrate counted. */
async function testStreams(w: WizardState, target: CameraTarget): Promise<Tests> {
  const creds = {
    ...(w.username !== "" && { username: w.username }),
    ...(w.password !== "" && { password: w.password }),
  };
  let mainUrl = w.url.trim();
  let subUrl = w.subUrl.trim();
  if (w.method === "onvif") {
    const profiles = w.inspection?.profiles ?? [];
    mainUrl = profiles.find((p) => p.token === w.main)?.streamUri ?? "";
    subUrl = profiles.find((p) => p.token === w.sub)?.streamUri ?? "";
  }
  // An edge tests for its own school (the hub's school id is no record there).
  const forSchool = target.edge === undefined ? { schoolId: target.schoolId } : {};
  // The test API knows one `url`; a refusal of the sub-stream's belongs on the sub-stream's field.
  const test = (url: string, field: "url" | "subUrl") =>
    api
      .post<StreamTestJson>(`${target.base}/cameras/test`, { url, ...creds, ...forSchool })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.field === "url" && field === "subUrl") {
          throw new ApiError(e.status, e.code, e.message, field, e.messages, e.extra);
        }
        throw e;
      });
  const [main, sub] = await Promise.all([
    test(mainUrl, "url"),
    subUrl === "" ? undefined : test(subUrl, "subUrl"),
  ]);
  return { main, ...(sub !== undefined && { sub }) };
}

function skewWords(t: T, seconds: number): string {
  const abs = Math.abs(seconds);
  const amount =
    abs >= 3600
      ? fill(t("{n} jam", "{n} h"), { n: Math.round(abs / 360) / 10 })
      : abs >= 60
        ? fill(t("{n} menit", "{n} min"), { n: Math.round(abs / 60) })
        : fill(t("{n} detik", "{n} s"), { n: abs });
  return seconds < 0
    ? fill(t("{amount} lebih lambat", "{amount} behind"), { amount })
    : fill(t("{amount} lebih cepat", "{amount} ahead"), { amount });
}

/** Step 3: who the camera says it is, its clock and its profiles. */
function InspectStep(props: Omit<StepProps, "set" | "run" | "busy" | "error" | "target">) {
  const t = useT();
  const lang = useLang();
  const i = props.w.inspection;
  if (!i) return <ErrorNotice error={new Error(t("Periksa kamera dulu.", "Inspect the camera first."))} />;
  const skew = i.clock.skewSeconds;
  const skewLarge = skew !== null && Math.abs(skew) > 60;
  return (
    <>
      <dl class="facts">
        <dt>{t("Pembuat", "Maker")}</dt>
        <dd class="maker">{i.device.manufacturer || "—"}</dd>
        <dt>{t("Model", "Model")}</dt>
        <dd class="model">{i.device.model || "—"}</dd>
        <dt>{t("Firmware", "Firmware")}</dt>
        <dd>{i.device.firmwareVersion || "—"}</dd>
        <dt>{t("Nomor seri", "Serial number")}</dt>
        <dd>{i.device.serialNumber || "—"}</dd>
        <dt>{t("Jam kamera", "Camera clock")}</dt>
        <dd class="clock">
          {skew === null
            ? t("tidak diketahui", "unknown")
            : Math.abs(skew) < 2
              ? t("tepat", "on time")
              : skewWords(t, skew)}{" "}
          {skewLarge && <Badge tone="warn">{t("Perlu disetel", "Needs setting")}</Badge>}
        </dd>
      </dl>
      {i.warnings.map((x) => (
        <p key={x.code} class="notice warn-notice" role="note">
          {x.messages[lang]}
        </p>
      ))}
      {i.registered === true && (
        <p class="notice" role="note">
          {t("Kamera ini sudah terdaftar.", "This camera is registered already.")}
        </p>
      )}
      <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="profiles-caption">
        <table class="data profiles">
          <caption id="profiles-caption">{t("Profil video kamera", "The camera's video profiles")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("Profil", "Profile")}</th>
              <th scope="col">{t("Kodek", "Codec")}</th>
              <th scope="col">{t("Ukuran", "Size")}</th>
              <th scope="col">fps</th>
              <th scope="col">{t("Bitrate", "Bitrate")}</th>
              <th scope="col">{t("Catatan", "Note")}</th>
            </tr>
          </thead>
          <tbody>
            {i.profiles.map((p) => (
              <tr key={p.token}>
                <th scope="row">{p.name ?? p.token}</th>
                <td>{p.encoding ?? "—"}</td>
                <td>{p.width !== undefined && p.height !== undefined ? `${p.width}×${p.height}` : "—"}</td>
                <td>{p.fps ?? "—"}</td>
                <td>{p.bitrateKbps !== undefined ? `${p.bitrateKbps} kbit/s` : "—"}</td>
                <td>
                  {p.codec === "unsupported"
                    ? t("Tidak dapat dipakai", "Cannot be used")
                    : p.needsTranscode
                      ? t("Perlu transkode (H.265)", "Needs transcoding (H.265)")
                      : p.token === i.suggested.main
                        ? t("Disarankan: utama", "Suggested: main")
                        : p.token === i.suggested.sub
                          ? t("Disarankan: kecil", "Suggested: sub")
                          : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="actions">
        {props.back}
        <button
          type="button"
          class="btn primary"
          onClick={() => {
            props.go("streams");
          }}
        >
          {t("Lanjut", "Next")}
        </button>
      </div>
    </>
  );
}

function profileLabel(t: T, p: InspectedProfile): string {
  const size = p.width !== undefined && p.height !== undefined ? ` ${p.width}×${p.height}` : "";
  const fps = p.fps !== undefined ? ` ${p.fps} fps` : "";
  return `${p.name ?? p.token} (${p.encoding ?? "?"}${size}${fps})${p.needsTranscode ? ` — ${t("transkode", "transcoded")}` : ""}`;
}

/** Step 4: which profile is the main stream and which the sub-stream (phones). */
function StreamsStep(props: Omit<StepProps, "run" | "busy" | "error" | "target">) {
  const t = useT();
  const { w, set } = props;
  const profiles = (w.inspection?.profiles ?? []).filter(usable);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        props.go("test");
      }}
    >
      <fieldset class="choice">
        <legend>{t("Aliran utama", "Main stream")}</legend>
        {profiles.map((p) => (
          <label class="radio" key={p.token}>
            <input
              type="radio"
              name="main"
              value={p.token}
              checked={w.main === p.token}
              onChange={() => {
                set({ main: p.token, sub: w.sub === p.token ? "" : w.sub, tests: undefined });
              }}
            />
            {profileLabel(t, p)}
          </label>
        ))}
      </fieldset>
      <fieldset class="choice">
        <legend>{t("Aliran kecil (untuk ponsel)", "Sub-stream (for phones)")}</legend>
        {profiles
          .filter((p) => p.token !== w.main)
          .map((p) => (
            <label class="radio" key={p.token}>
              <input
                type="radio"
                name="sub"
                value={p.token}
                checked={w.sub === p.token}
                onChange={() => {
                  set({ sub: p.token, tests: undefined });
                }}
              />
              {profileLabel(t, p)}
            </label>
          ))}
        <label class="radio">
          <input
            type="radio"
            name="sub"
            value=""
            checked={w.sub === ""}
            onChange={() => {
              set({ sub: "", tests: undefined });
            }}
          />
          {t("Tanpa aliran kecil", "No sub-stream")}
        </label>
      </fieldset>
      <div class="actions">
        {props.back}
        <button type="submit" class="btn primary" disabled={w.main === ""}>
          {t("Lanjut ke uji", "Next: test")}
        </button>
      </div>
    </form>
  );
}

/** The body POST /api/cameras takes for the source gathered so far (design.md, camera create body). */
function sourceOf(w: WizardState): Record<string, unknown> {
  const creds = {
    ...(w.username !== "" && { username: w.username }),
    ...(w.password !== "" && { password: w.password }),
  };
  if (w.method === "onvif" && w.device) {
    return {
      kind: "onvif",
      host: w.device.host,
      port: w.device.port,
      path: w.device.path,
      ...creds,
      profile: w.main,
      subProfile: w.sub === "" ? null : w.sub,
    };
  }
  return {
    kind: "rtsp",
    url: w.url.trim(),
    ...(w.subUrl.trim() !== "" && { subUrl: w.subUrl.trim() }),
    ...creds,
  };
}

function kbits(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)} Mbit/s` : `${String(n)} kbit/s`;
}

/**
 * Step 5: the streams tested (what the camera sends, counted over two seconds), and the live picture. The
 * relay plays only registered cameras, so the camera is saved here without a classroom (no parent can see
 * it) and the last step gives it its name and classroom; cancelling removes it. A camera behind a school's
 * edge is registered at the edge and at the hub in one call at the last step, so it has no preview here.
 */
function TestStep(props: StepProps) {
  const t = useT();
  const { w, target } = props;
  const relayed = target.edge !== undefined;
  const [rendition, setRendition] = useState<"main" | "sub">("main");
  const source = JSON.stringify(sourceOf(w));
  const ensure = () =>
    props.run(async () => {
      const tests = w.tests ?? (await testStreams(w, target));
      props.set({ tests });
      if (relayed) return undefined;
      if (w.draft === undefined) {
        const created = await api.post<{ id: string }>(`${target.base}/cameras`, {
          schoolId: target.schoolId,
          name:
            w.name || w.device?.name || fill(t("Kamera {host}", "Camera {host}"), { host: hostOfUrl(w.url) }),
          source: sourceOf(w),
        });
        return { draft: { id: created.id, source } };
      }
      if (w.draft.source !== source) {
        await api.patch(`/api/cameras/${seg(w.draft.id)}`, { source: sourceOf(w) });
        return { draft: { id: w.draft.id, source } };
      }
      return undefined;
    });
  const ready = w.tests !== undefined && (relayed || (w.draft !== undefined && w.draft.source === source));
  useEffect(() => {
    if (!ready && !props.busy && props.error === undefined) void ensure();
  }, [ready]);
  const rows: [string, StreamTestJson | undefined][] = [
    [t("Utama", "Main"), w.tests?.main],
    [t("Kecil", "Sub"), w.tests?.sub],
  ];
  return (
    <>
      {props.busy && (
        <p role="status" class="loading">
          {t(
            "Menguji aliran: mengukur selama ±2 detik…",
            "Testing the streams: measuring for about 2 seconds…",
          )}
        </p>
      )}
      {w.tests !== undefined && (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="tests-caption">
          <table class="data stream-tests">
            <caption id="tests-caption">
              {t("Yang dikirim kamera (diukur)", "What the camera sends (measured)")}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t("Aliran", "Stream")}</th>
                <th scope="col">{t("Kodek", "Codec")}</th>
                <th scope="col">{t("Ukuran", "Size")}</th>
                <th scope="col">fps</th>
                <th scope="col">{t("Bitrate", "Bitrate")}</th>
              </tr>
            </thead>
            <tbody>
              {rows
                .filter((r): r is [string, StreamTestJson] => r[1] !== undefined)
                .map(([label, r]) => (
                  <tr key={label}>
                    <th scope="row">{label}</th>
                    <td class="codec">
                      {r.video.codec === "h264" ? "H.264" : "H.265"}
                      {r.video.profile !== undefined && ` ${r.video.profile}`}
                      {r.needsTranscode && (
                        <>
                          {" "}
                          <Badge tone="warn">{t("ditranskode", "transcoded")}</Badge>
                        </>
                      )}
                    </td>
                    <td class="size">{`${r.video.width}×${r.video.height}`}</td>
                    <td class="fps">{r.video.measured?.fps ?? r.video.fps ?? "—"}</td>
                    <td class="bitrate">
                      {r.video.measured !== undefined ? kbits(r.video.measured.bitrateKbps) : "—"}
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
      <ErrorNotice error={props.error} />
      {props.error !== undefined && !props.busy && (
        <div class="actions">
          <button
            type="button"
            class="btn"
            onClick={() => {
              void ensure();
            }}
          >
            {t("Uji lagi", "Test again")}
          </button>
        </div>
      )}
      {ready && relayed && (
        <p class="hint no-preview">
          {t(
            "Pratinjau langsung tersedia setelah kamera disimpan: kamera ini lewat gateway edge sekolah, dan hub memutarnya setelah terdaftar.",
            "The live preview comes after saving: this camera goes through the school's edge gateway, and the hub plays it once it is registered.",
          )}
        </p>
      )}
      {ready && w.draft !== undefined && (
        <>
          <p class="hint">
            {t(
              "Untuk pratinjau, kamera sudah disimpan tanpa kelas: belum ada orang tua yang dapat melihatnya.",
              "For the preview the camera is saved without a classroom: no parent can see it yet.",
            )}
          </p>
          {w.tests?.sub !== undefined && (
            <Field label={t("Pratinjau aliran", "Preview stream")}>
              <select
                name="preview"
                value={rendition}
                onChange={(e) => {
                  setRendition(e.currentTarget.value === "sub" ? "sub" : "main");
                }}
              >
                <option value="main">{t("Utama", "Main")}</option>
                <option value="sub">{t("Kecil", "Sub")}</option>
              </select>
            </Field>
          )}
          <LivePreview
            cameraId={w.draft.id}
            rendition={rendition}
            label={t("Pratinjau langsung kamera", "Live preview of the camera")}
          />
        </>
      )}
      <div class="actions">
        {props.back}
        <button
          type="button"
          class="btn primary"
          disabled={!ready || props.busy}
          onClick={() => {
            props.go("room");
          }}
        >
          {t("Lanjut", "Next")}
        </button>
      </div>
    </>
  );
}

/** Step 6: the camera's name and classroom (none is allowed: it can be assigned later). */
function RoomStep(props: Omit<StepProps, "go">) {
  const t = useT();
  const lang = useLang();
  const { w, set } = props;
  const [rooms, setRooms] = useState<ClassroomJson[] | undefined>(undefined);
  const [loadError, setLoadError] = useState<unknown>(undefined);
  useEffect(() => {
    api
      .get<{ classrooms: ClassroomJson[] }>(`/api/schools/${seg(props.target.schoolId)}/classrooms`)
      .then((r) => {
        setRooms(r.classrooms);
      })
      .catch((e: unknown) => {
        setLoadError(e);
      });
  }, [props.target.schoolId]);
  const save = () =>
    props.run(async () => {
      if (w.method === "rtmp") {
        // A preview camera from a path left behind (back to the first step) goes: this one replaces it.
        if (w.draft !== undefined) {
          await api.delete(`/api/cameras/${seg(w.draft.id)}`);
          set({ draft: undefined });
        }
        const created = await api.post<{ id: string }>("/api/cameras", {
          schoolId: props.target.schoolId,
          name: w.name,
          ...(w.classroomId !== "" && { classroomId: w.classroomId }),
          source: { kind: "rtmp" },
        });
        return { pushed: created.id, step: "done" };
      }
      if (props.target.edge !== undefined) {
        // Registered at the edge (its source and password stay there), then at the hub in this classroom.
        await api.post(`${props.target.base}/cameras`, {
          name: w.name,
          ...(w.classroomId !== "" && { classroomId: w.classroomId }),
          source: sourceOf(w),
        });
        return { step: "done" };
      }
      if (w.draft === undefined) return { step: "test" };
      await api.patch(`/api/cameras/${seg(w.draft.id)}`, {
        name: w.name,
        classroomId: w.classroomId === "" ? null : w.classroomId,
      });
      return { step: "done" };
    });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <Field
        label={t("Nama kamera", "Camera name")}
        hint={t("Dilihat orang tua, misalnya Kelas 1A depan.", "Parents see it, e.g. Class 1A front.")}
        error={fieldError(props.error, ["name"], lang)}
      >
        <input
          name="name"
          required
          maxLength={100}
          value={w.name}
          onInput={(e) => {
            set({ name: e.currentTarget.value });
          }}
        />
      </Field>
      <ErrorNotice error={loadError} />
      <Field
        label={t("Kelas", "Classroom")}
        hint={t(
          "Boleh nanti: tanpa kelas, orang tua tidak melihatnya.",
          "Can wait: without one, no parent sees it.",
        )}
        error={fieldError(props.error, ["classroomId"], lang)}
      >
        <select
          name="classroomId"
          value={w.classroomId}
          onChange={(e) => {
            set({ classroomId: e.currentTarget.value });
          }}
        >
          <option value="">{t("Tanpa kelas", "No classroom")}</option>
          {(rooms ?? []).map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </select>
      </Field>
      {!onField(props.error, ["name", "classroomId"]) && <ErrorNotice error={props.error} />}
      <div class="actions">
        {props.back}
        <button type="submit" class="btn primary" disabled={props.busy}>
          {t("Simpan", "Save")}
        </button>
      </div>
    </form>
  );
}
