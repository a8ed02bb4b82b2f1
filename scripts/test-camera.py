#!/usr/bin/python3
"""Pantau test camera: a GStreamer RTSP server with live H.264/H.265 (or MJPEG) on /main and /sub.

Run with /usr/bin/python3 (the Debian python that can load gi). Every frame carries its
creation wall clock (ms since epoch mod 2^32) as 32 black/white blocks in the bottom
20 px, so a viewer can measure glass-to-glass latency.

/audio serves a G.711 stream with no video (a stream that a camera test must refuse); --audio adds
the same audio track to /main and /sub. --query-username/--query-password make every DESCRIBE answer
401 unless its URL carries them as ?user=…&password=…, as Dahua recorders and XMEye boxes take them.
--mounts N adds /cam0 ... /cam<N-1>, many cameras for the price of one encoder: each is the /main
stream of one shared pipeline (bench:idle registers hundreds of cameras).

stdout: one JSON line when ready: {"ready":true,"port":N,"main":"rtsp://...","sub":"rtsp://..."}
        (with "mounts":N when --mounts is given)
stdin:  "jump <ms>"  RTP timestamps of live streams jump back by ms from now on
        "quit"       exit
Exits when stdin closes, so it never outlives the process that started it.
"""

import argparse
import ctypes
import json
import os
import signal
import sys
import time
import urllib.parse

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstBase", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstBase, GstRtsp, GstRtspServer  # noqa: E402

BAND_HEIGHT = 20
BLOCKS = 32
# One wrap of a 32-bit RTP timestamp at the 90 kHz video clock, in ns.
RTP_WRAP_NS = (1 << 32) * 1_000_000_000 // 90000
# Exit status when the port cannot be bound, so a restart on a fixed port can retry.
EXIT_LISTEN_FAILED = 3


# Each pattern moves every frame so the encoder does real P-frame work.
PATTERNS = {
    "smpte": "pattern=smpte horizontal-speed=4",
    "ball": "pattern=ball motion=wavy",
}

# GstRTSPAuthMethod values; the C API takes them OR-ed but PyGObject only accepts one.
AUTH_BASIC = 1
AUTH_DIGEST = 2


def set_auth_methods(auth, methods):
    if methods in (AUTH_BASIC, AUTH_DIGEST):
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod(methods))
        return
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    lib = ctypes.CDLL("libgstrtspserver-1.0.so.0")
    lib.gst_rtsp_auth_set_supported_methods.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.gst_rtsp_auth_set_supported_methods(get_pointer(auth.__gpointer__, None), methods)


def log(msg):
    # When the parent dies its end of stderr goes with it; a write that raised here would abort
    # the stdin-closed handler and leave the camera running for ever.
    try:
        sys.stderr.write("[test-camera] " + msg + "\n")
        sys.stderr.flush()
    except OSError:
        pass


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--fps", type=int, default=25)
    p.add_argument(
        "--drop",
        type=float,
        default=0.0,
        help="share of encoded H.264 frames dropped at random (0-1): a camera delivering below its own rate",
    )
    p.add_argument("--gop", type=int, default=None, help="keyframe interval in frames (default: fps)")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--sub-width", type=int, default=320)
    p.add_argument("--sub-height", type=int, default=180)
    p.add_argument(
        "--codec",
        choices=["h264", "h265", "mjpeg"],
        default="h264",
        help="mjpeg: what old or cheap cameras send, and what Pantau refuses",
    )
    p.add_argument("--audio", action="store_true", help="add G.711 A-law audio to /main and /sub")
    p.add_argument("--bitrate", type=int, default=800, help="main stream kbps")
    p.add_argument("--sub-bitrate", type=int, default=300, help="sub stream kbps")
    p.add_argument("--pattern", choices=sorted(PATTERNS), default="smpte")
    p.add_argument("--username")
    p.add_argument("--password")
    p.add_argument(
        "--auth",
        choices=["basic", "digest", "both"],
        default="both",
        help="challenges offered when --username is set (IP cameras commonly offer both)",
    )
    p.add_argument("--query-username", help="user= the URL's query must carry (with --query-password)")
    p.add_argument("--query-password", help="password= the URL's query must carry")
    p.add_argument(
        "--mounts",
        type=int,
        default=0,
        help="also serve /cam0 ... /cam<N-1>, all the /main stream from one shared pipeline",
    )
    args = p.parse_args()
    if args.gop is None:
        args.gop = args.fps
    if (args.username is None) != (args.password is None):
        p.error("--username and --password go together")
    if (args.query_username is None) != (args.query_password is None):
        p.error("--query-username and --query-password go together")
    if args.mounts < 0:
        p.error("--mounts must be 0 or more")
    return args


def encoder_launch(codec, gop, bitrate, drop=0.0):
    if codec == "mjpeg":
        # Every frame is a keyframe; gop and bitrate do not apply.
        return "jpegenc name=enc quality=60 ! rtpjpegpay name=pay0 pt=26"
    # scenecut=0 keeps keyframes exactly every GOP frames, which GOP-cache tests rely on.
    if codec == "h264":
        return (
            "x264enc name=enc tune=zerolatency speed-preset=ultrafast bframes=0 threads=1 "
            f"key-int-max={gop} bitrate={bitrate} option-string=scenecut=0 "
            "! video/x-h264,profile=constrained-baseline "
            # A camera that cannot keep up: encoded frames dropped at random, its stream still saying its rate.
            + (f"! identity drop-probability={drop} " if drop > 0 else "")
            + "! rtph264pay name=pay0 pt=96 config-interval=-1"
        )
    return (
        "x265enc name=enc tune=zerolatency speed-preset=ultrafast "
        f"key-int-max={gop} bitrate={bitrate} option-string=scenecut=0:frame-threads=1:pools=1 "
        "! rtph265pay name=pay0 pt=96 config-interval=-1"
    )


# G.711 A-law at 8 kHz, as most IP cameras send it.
AUDIO_LAUNCH = (
    "audiotestsrc is-live=true wave=sine volume=0.2 ! audio/x-raw,rate=8000,channels=1 "
    "! alawenc ! rtppcmapay name={pay} pt=8"
)


def pipeline_launch(args, width, height, bitrate):
    # Draw in BGRx (what cairooverlay wants), then convert to I420 for the encoder.
    audio = " " + AUDIO_LAUNCH.format(pay="pay1") if args.audio else ""
    return (
        f"( videotestsrc is-live=true {PATTERNS[args.pattern]} "
        f"! video/x-raw,format=BGRx,width={width},height={height},"
        f"framerate={args.fps}/1,pixel-aspect-ratio=1/1 "
        "! cairooverlay name=clock "
        "! videoconvert ! video/x-raw,format=I420 "
        f"! {encoder_launch(args.codec, args.gop, bitrate, args.drop)}{audio} )"
    )


def draw_clock(_overlay, ctx, _timestamp, _duration, size):
    # The frame leaves videotestsrc only after the live source has synced to the clock, so
    # the wall clock here is the moment the frame "exists" (the glass of glass-to-glass).
    now_ns = time.time_ns()
    stamp = (now_ns // 1_000_000) & 0xFFFFFFFF
    width, height = size
    top = height - BAND_HEIGHT

    ctx.set_source_rgb(0, 0, 0)
    ctx.rectangle(0, top, width, BAND_HEIGHT)
    ctx.fill()
    ctx.set_source_rgb(1, 1, 1)
    for i in range(BLOCKS):
        if stamp & (1 << (BLOCKS - 1 - i)):
            # Integer edges so blocks are pure black/white with no anti-aliased seams.
            x0 = i * width // BLOCKS
            x1 = (i + 1) * width // BLOCKS
            ctx.rectangle(x0, top, x1 - x0, BAND_HEIGHT)
    ctx.fill()

    secs, ms = divmod(now_ns // 1_000_000, 1000)
    text = time.strftime("%H:%M:%S", time.localtime(secs)) + ".%03d" % ms
    font_size = max(10, height // 18)
    ctx.set_font_size(font_size)
    x, y = 8, top - 6
    ctx.set_source_rgb(0, 0, 0)
    ctx.rectangle(x - 4, y - font_size, font_size * 0.62 * len(text) + 8, font_size + 6)
    ctx.fill()
    ctx.set_source_rgb(1, 1, 1)
    ctx.move_to(x, y)
    ctx.show_text(text)


class OneMediaFactory(GstRtspServer.RTSPMediaFactory):
    """A shared factory whose every mount gets the same media: the default key is the request's
    path, which would give each mount its own pipeline (and encoder)."""

    def do_gen_key(self, _url):
        return "one"


class Camera:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.live = []  # (encoder src pad, media bin) of prepared medias; jumps apply to these
        self.stdin_pending = b""
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(args.host)
        self.server.set_service(str(args.port))
        mounts = self.server.get_mount_points()
        mounts.add_factory("/main", self.factory(args.width, args.height, args.bitrate))
        mounts.add_factory("/sub", self.factory(args.sub_width, args.sub_height, args.sub_bitrate))
        mounts.add_factory("/audio", self.audio_factory())
        if args.mounts > 0:
            many = self.factory(args.width, args.height, args.bitrate, OneMediaFactory)
            for i in range(args.mounts):
                mounts.add_factory(f"/cam{i}", many)
        if args.username is not None:
            self.server.set_auth(self.auth())
        if args.query_username is not None:
            self.server.connect("client-connected", self.on_client_connected)

    def factory(self, width, height, bitrate, cls=GstRtspServer.RTSPMediaFactory):
        f = cls()
        f.set_launch(pipeline_launch(self.args, width, height, bitrate))
        # One pipeline per mount however many clients, like a camera's single encoder.
        f.set_shared(True)
        f.connect("media-configure", self.on_media_configure, (width, height))
        self.add_role(f)
        return f

    def audio_factory(self):
        f = GstRtspServer.RTSPMediaFactory()
        f.set_launch("( " + AUDIO_LAUNCH.format(pay="pay0") + " )")
        f.set_shared(True)
        self.add_role(f)
        return f

    def add_role(self, f):
        if self.args.username is not None:
            f.add_role_from_structure(
                Gst.Structure.new_from_string(
                    "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
                )
            )

    def auth(self):
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "user")
        user, password = self.args.username, self.args.password
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        auth.add_digest(user, password, token)
        methods = {"basic": AUTH_BASIC, "digest": AUTH_DIGEST, "both": AUTH_BASIC | AUTH_DIGEST}
        set_auth_methods(auth, methods[self.args.auth])
        return auth

    def on_client_connected(self, _server, client):
        client.connect("pre-describe-request", self.check_query_credentials)

    def check_query_credentials(self, _client, ctx):
        query = dict(urllib.parse.parse_qsl(ctx.uri.query or "", keep_blank_values=True))
        wanted = {"user": self.args.query_username, "password": self.args.query_password}
        if all(query.get(k) == v for k, v in wanted.items()):
            return GstRtsp.RTSPStatusCode.OK
        log(f"DESCRIBE without the query credentials: ?{ctx.uri.query or ''}")
        return GstRtsp.RTSPStatusCode.UNAUTHORIZED

    def on_media_configure(self, _factory, media, size):
        bin_ = media.get_element()
        bin_.get_by_name("clock").connect("draw", draw_clock, size)
        bin_.get_parent().connect("deep-element-added", self.on_element_added)
        entry = (bin_.get_by_name("enc").get_static_pad("src"), bin_)
        self.live.append(entry)
        media.connect("unprepared", self.on_media_unprepared, entry)

    def on_element_added(self, _pipeline, _bin, element):
        # The server's RTP sinks sync to the clock (it also paces files), which would hold
        # back for hours every frame whose running time a wrapping jump moved ahead. The
        # live source already paces frames, as a real camera's sensor does.
        if isinstance(element, GstBase.BaseSink):
            element.set_property("sync", False)
            # rtsp-stream turns sync back on at every PLAY (its ONVIF rate control, which
            # would also switch the payloader to stream time and defeat jumps), so hold it down.
            element.connect("notify::sync", self.on_sink_sync_changed)

    def on_sink_sync_changed(self, element, _pspec):
        if element.get_property("sync"):
            element.set_property("sync", False)

    def on_media_unprepared(self, _media, entry):
        if entry in self.live:
            self.live.remove(entry)

    def jump(self, ms):
        # The payloader computes rtptime = ts_base + running_time * 90 kHz, so a negative
        # offset on the encoder's src pad steps RTP time back while frames keep flowing.
        # Running time cannot go below zero (the payloader would then stamp every frame
        # with ts_base), so a jump larger than the stream's age goes forward by one RTP
        # wrap minus the jump instead: the same 32-bit timestamps reach the client.
        # Medias created later start clean, as a new RTSP session on a real camera would.
        for pad, bin_ in self.live:
            clock = bin_.get_clock()
            running = clock.get_time() - bin_.get_base_time() if clock else 0
            offset = pad.get_offset() - ms * Gst.MSECOND
            if running + offset < Gst.SECOND:
                offset += RTP_WRAP_NS
            pad.set_offset(offset)
        log(f"jumped back {ms} ms on {len(self.live)} live stream(s)")

    def on_stdin(self, fd, condition):
        # Nothing in here may raise: an exception removes the watch, and the camera would
        # then outlive its parent.
        try:
            data = os.read(fd, 4096) if condition & GLib.IO_IN else b""
        except OSError:
            data = b""
        if not data:
            self.stop("stdin closed")
            return False
        self.stdin_pending += data
        while b"\n" in self.stdin_pending:
            line, self.stdin_pending = self.stdin_pending.split(b"\n", 1)
            try:
                self.command(line.decode(errors="replace").strip())
            except Exception as e:  # noqa: BLE001 - a bad command must not stop the camera
                log(f"command {line!r} failed: {e!r}")
        return True

    def command(self, cmd):
        parts = cmd.split()
        if not parts:
            return
        if parts[0] == "jump" and len(parts) == 2 and parts[1].isdigit():
            self.jump(int(parts[1]))
        elif parts[0] == "quit":
            self.stop("quit")
        else:
            log(f"unknown command: {cmd!r}")

    def stop(self, why):
        self.loop.quit()
        log(f"stopping: {why}")
        return False

    def run(self):
        # Before the ready line, so a parent that stops the camera right after it never
        # meets the default SIGTERM action (exit without a status).
        GLib.io_add_watch(
            0, GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, self.on_stdin
        )
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, self.stop, "SIGTERM")
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, self.stop, "SIGINT")
        try:
            source = self.server.create_source(None)
        except GLib.Error as e:
            log(f"cannot listen on {self.args.host}:{self.args.port}: {e.message}")
            return EXIT_LISTEN_FAILED
        source.attach(None)
        port = self.server.get_bound_port()
        base = f"rtsp://{self.args.host}:{port}"
        ready = {"ready": True, "port": port, "main": base + "/main", "sub": base + "/sub"}
        if self.args.mounts > 0:
            ready["mounts"] = self.args.mounts
        sys.stdout.write(json.dumps(ready, separators=(",", ":")) + "\n")
        sys.stdout.flush()
        self.loop.run()

        # Drop clients so they see the connection close rather than a hang.
        self.server.client_filter(lambda _s, _c: GstRtspServer.RTSPFilterResult.REMOVE)
        source.destroy()
        return 0


def main():
    args = parse_args()
    Gst.init(None)
    # Interpreter teardown with streaming threads still running can hang or crash,
    # so leave with _exit once the server has let go of its clients.
    code = Camera(args).run()
    os._exit(code)


if __name__ == "__main__":
    main()
