// JetStream through libnats. Every libnats object is owned by a unique_ptr
// with its destroy function; every call's status becomes an absl::Status that
// names the call, the NATS status text and the JetStream error code.
#include "server/jetstream.h"

#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <nats/nats.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>

namespace bg {
namespace {

template <typename T, void (*Destroy)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p) Destroy(p);
  }
};
using OptionsPtr = std::unique_ptr<natsOptions, Deleter<natsOptions, natsOptions_Destroy>>;
using ConnPtr = std::unique_ptr<natsConnection, Deleter<natsConnection, natsConnection_Destroy>>;
using JsPtr = std::unique_ptr<jsCtx, Deleter<jsCtx, jsCtx_Destroy>>;
using SubPtr = std::unique_ptr<natsSubscription, Deleter<natsSubscription, natsSubscription_Destroy>>;
using MsgPtr = std::unique_ptr<natsMsg, Deleter<natsMsg, natsMsg_Destroy>>;
using StreamInfoPtr = std::unique_ptr<jsStreamInfo, Deleter<jsStreamInfo, jsStreamInfo_Destroy>>;
using MetaPtr = std::unique_ptr<jsMsgMetaData, Deleter<jsMsgMetaData, jsMsgMetaData_Destroy>>;

absl::Status nats_error(const std::string& what, natsStatus s, jsErrCode jerr = jsErrCode(0)) {
  std::string msg = absl::StrCat(what, ": ", natsStatus_GetText(s));
  if (const char* last = nats_GetLastError(nullptr); last && *last && !absl::StrContains(msg, last))
    absl::StrAppend(&msg, " (", last, ")");
  if (jerr != 0) absl::StrAppend(&msg, " [JetStream error ", int(jerr), "]");
  if (s == NATS_NOT_FOUND) return absl::NotFoundError(msg);
  if (s == NATS_TIMEOUT) return absl::DeadlineExceededError(msg);
  return absl::UnavailableError(msg);
}

StreamBlock to_stream_block(natsMsg* m, uint64_t sequence) {
  StreamBlock b;
  b.sequence = sequence;
  const auto* data = reinterpret_cast<const uint8_t*>(natsMsg_GetData(m));
  b.bytes.assign(data, data + natsMsg_GetDataLength(m));
  const char* hash = nullptr;
  if (natsMsgHeader_Get(m, kNatsHashHeader, &hash) == NATS_OK && hash) b.hash_hex = hash;
  return b;
}

// What libnats' acknowledgement callback (on its own thread) shares with the
// publishing thread.
struct AsyncAcks {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<JetStream::AsyncResult> results;
  size_t in_flight = 0;
  uint64_t in_flight_bytes = 0;
  size_t wake_at = 1;  // the waiter wants this many results (or none in flight)
};

void on_async_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* acks = static_cast<AsyncAcks*>(closure);
  JetStream::AsyncResult r;
  const char* h = nullptr;
  if (natsMsgHeader_Get(msg, kNatsHeightHeader, &h) != NATS_OK || !h || !absl::SimpleAtoi(h, &r.height))
    r.status = absl::InternalError("an acknowledged message lacks its height header");
  r.bytes = uint64_t(natsMsg_GetDataLength(msg));
  if (r.status.ok()) {
    if (pa) {
      if (pa->Sequence != r.height + 1) r.result = JetStream::PublishResult::kWrongLastSeq;
    } else if (pae && pae->ErrCode == JSStreamWrongLastSequenceErr) {
      r.result = JetStream::PublishResult::kWrongLastSeq;
    } else {
      r.status = nats_error(absl::StrCat("publishing block ", r.height), pae ? pae->Err : NATS_ERR,
                            pae ? pae->ErrCode : jsErrCode(0));
    }
  }
  natsMsg_Destroy(msg);
  std::lock_guard lk(acks->mu);
  --acks->in_flight;
  acks->in_flight_bytes -= r.bytes;
  acks->results.push_back(std::move(r));
  // One wake-up per batch of answers, not per answer: on a busy machine each
  // wake-up of the publishing thread costs a scheduling delay.
  if (acks->results.size() >= acks->wake_at || acks->in_flight == 0) acks->cv.notify_all();
}

}  // namespace

bool is_nats_url(const std::string& url) {
  return absl::StartsWith(url, "nats://") || absl::StartsWith(url, "tls://");
}

struct JetStream::Impl {
  NatsConfig cfg;
  ConnPtr conn;
  JsPtr js;
  SubPtr sub;
  // Heap-owned so that an acknowledgement callback still running after a
  // close that could not wait for it touches live memory (then it leaks).
  AsyncAcks* acks = new AsyncAcks;
};

JetStream::JetStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JetStream::~JetStream() {
  bool idle;
  {
    std::lock_guard lk(impl_->acks->mu);
    idle = impl_->acks->in_flight == 0;
  }
  if (!idle && impl_->js && connected()) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = impl_->cfg.timeout.count();
    js_PublishAsyncComplete(impl_->js.get(), &po);
  }
  if (impl_->conn) natsConnection_Close(impl_->conn.get());
  impl_->sub.reset();
  impl_->js.reset();
  impl_->conn.reset();
  {
    std::lock_guard lk(impl_->acks->mu);
    idle = impl_->acks->in_flight == 0;
  }
  // Left to a late callback when some publish was never answered: a bounded
  // leak on an abnormal close, never a use after free.
  if (idle) delete impl_->acks;
}

absl::StatusOr<std::unique_ptr<JetStream>> JetStream::connect(const NatsConfig& cfg) {
  if (!is_nats_url(cfg.url)) return absl::InvalidArgumentError(absl::StrCat("not a NATS URL: '", cfg.url, "'"));
  natsOptions* raw_opts = nullptr;
  if (natsStatus s = natsOptions_Create(&raw_opts); s != NATS_OK) return nats_error("natsOptions_Create", s);
  OptionsPtr opts(raw_opts);
  natsOptions_SetURL(opts.get(), cfg.url.c_str());
  natsOptions_SetTimeout(opts.get(), cfg.timeout.count());
  natsOptions_SetAllowReconnect(opts.get(), false);
  if (absl::StartsWith(cfg.url, "tls://")) {
    if (natsStatus s = natsOptions_SetSecure(opts.get(), true); s != NATS_OK) return nats_error("TLS", s);
    if (!cfg.ca_file.empty())
      if (natsStatus s = natsOptions_LoadCATrustedCertificates(opts.get(), cfg.ca_file.c_str()); s != NATS_OK)
        return nats_error(absl::StrCat("loading CA file ", cfg.ca_file), s);
  }
  if (!cfg.creds_file.empty())
    if (natsStatus s = natsOptions_SetUserCredentialsFromFiles(opts.get(), cfg.creds_file.c_str(), nullptr);
        s != NATS_OK)
      return nats_error(absl::StrCat("loading credentials ", cfg.creds_file), s);
  if (!cfg.token.empty())
    if (natsStatus s = natsOptions_SetToken(opts.get(), cfg.token.c_str()); s != NATS_OK)
      return nats_error("token", s);

  auto impl = std::make_unique<Impl>();
  impl->cfg = cfg;
  natsConnection* nc = nullptr;
  if (natsStatus s = natsConnection_Connect(&nc, opts.get()); s != NATS_OK)
    return nats_error(absl::StrCat("connecting to ", cfg.url), s);
  impl->conn.reset(nc);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = cfg.timeout.count();
  jo.PublishAsync.AckHandler = on_async_ack;
  jo.PublishAsync.AckHandlerClosure = impl->acks;
  jsCtx* js = nullptr;
  if (natsStatus s = natsConnection_JetStream(&js, nc, &jo); s != NATS_OK) return nats_error("JetStream context", s);
  impl->js.reset(js);
  return std::unique_ptr<JetStream>(new JetStream(std::move(impl)));
}

int64_t JetStream::max_payload() const { return natsConnection_GetMaxPayload(impl_->conn.get()); }

bool JetStream::connected() const { return natsConnection_Status(impl_->conn.get()) == NATS_CONN_STATUS_CONNECTED; }

absl::StatusOr<uint64_t> JetStream::last_sequence() {
  jsStreamInfo* raw = nullptr;
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = js_GetStreamInfo(&raw, impl_->js.get(), impl_->cfg.stream.c_str(), nullptr, &jerr);
  StreamInfoPtr si(raw);
  if (s != NATS_OK) return nats_error(absl::StrCat("stream info of ", impl_->cfg.stream), s, jerr);
  return si->State.LastSeq;
}

absl::StatusOr<uint64_t> JetStream::ensure_stream() {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto last = last_sequence();
    if (last.ok() || !absl::IsNotFound(last.status())) return last;
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = impl_->cfg.stream.c_str();
    const char* subjects[1] = {impl_->cfg.subject.c_str()};
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    jsStreamInfo* raw = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_AddStream(&raw, impl_->js.get(), &sc, nullptr, &jerr);
    StreamInfoPtr si(raw);
    if (s == NATS_OK) return si->State.LastSeq;
    if (jerr != JSStreamNameExistErr) return nats_error(absl::StrCat("creating stream ", impl_->cfg.stream), s, jerr);
    // Someone created it between our two calls: read it again.
  }
  return absl::UnavailableError(absl::StrCat("stream ", impl_->cfg.stream, " could not be created or read"));
}

absl::Status JetStream::publish_block_async(uint64_t height, const std::string& hash_hex, ByteSpan block) {
  natsMsg* raw = nullptr;
  if (natsStatus s = natsMsg_Create(&raw, impl_->cfg.subject.c_str(), nullptr,
                                    reinterpret_cast<const char*>(block.data()), int(block.size()));
      s != NATS_OK)
    return nats_error("natsMsg_Create", s);
  MsgPtr msg(raw);
  const std::string height_text = std::to_string(height);
  natsMsgHeader_Set(msg.get(), kNatsHeightHeader, height_text.c_str());
  natsMsgHeader_Set(msg.get(), kNatsHashHeader, hash_hex.c_str());
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = hash_hex.c_str();
  po.ExpectLastSeq = height;  // 0 for genesis sends no expectation: the ack's sequence is checked
  // No per-message MaxWait (libnats then tracks a deadline per message, at a
  // cost measured in bench/nats_publish terms): the caller watches for
  // answers that stop coming.
  AsyncAcks& acks = *impl_->acks;
  {
    std::lock_guard lk(acks.mu);
    ++acks.in_flight;
    acks.in_flight_bytes += block.size();
  }
  natsMsg* m = msg.release();
  natsStatus s = js_PublishMsgAsync(impl_->js.get(), &m, &po);
  if (s != NATS_OK) {
    natsMsg_Destroy(m);  // still ours when the call failed
    std::lock_guard lk(acks.mu);
    --acks.in_flight;
    acks.in_flight_bytes -= block.size();
    return nats_error(absl::StrCat("publishing block ", height), s);
  }
  return absl::OkStatus();
}

size_t JetStream::async_in_flight() const {
  std::lock_guard lk(impl_->acks->mu);
  return impl_->acks->in_flight;
}

uint64_t JetStream::async_in_flight_bytes() const {
  std::lock_guard lk(impl_->acks->mu);
  return impl_->acks->in_flight_bytes;
}

std::vector<JetStream::AsyncResult> JetStream::take_async_results(std::chrono::milliseconds timeout,
                                                                   size_t at_least) {
  AsyncAcks& acks = *impl_->acks;
  std::unique_lock lk(acks.mu);
  acks.wake_at = std::max<size_t>(1, at_least);
  acks.cv.wait_for(lk, timeout, [&] {
    return acks.results.size() >= acks.wake_at || (acks.in_flight == 0 && !acks.results.empty());
  });
  acks.wake_at = 1;
  std::vector<AsyncResult> out(std::make_move_iterator(acks.results.begin()),
                               std::make_move_iterator(acks.results.end()));
  acks.results.clear();
  return out;
}

absl::StatusOr<StreamBlock> JetStream::get(uint64_t sequence) {
  natsMsg* raw = nullptr;
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = js_GetMsg(&raw, impl_->js.get(), impl_->cfg.stream.c_str(), sequence, nullptr, &jerr);
  MsgPtr msg(raw);
  if (s != NATS_OK) {
    if (jerr == JSNoMessageFoundErr) s = NATS_NOT_FOUND;
    return nats_error(absl::StrCat("reading sequence ", sequence, " of ", impl_->cfg.stream), s, jerr);
  }
  return to_stream_block(msg.get(), sequence);
}

absl::Status JetStream::subscribe_from(uint64_t start_sequence) {
  impl_->sub.reset();
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = impl_->cfg.stream.c_str();
  so.Ordered = true;
  so.Config.DeliverPolicy = js_DeliverByStartSequence;
  so.Config.OptStartSeq = std::max<uint64_t>(1, start_sequence);
  natsSubscription* raw = nullptr;
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = js_SubscribeSync(&raw, impl_->js.get(), impl_->cfg.subject.c_str(), nullptr, &so, &jerr);
  if (s != NATS_OK) return nats_error(absl::StrCat("subscribing to ", impl_->cfg.stream), s, jerr);
  impl_->sub.reset(raw);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StreamBlock>> JetStream::next(std::chrono::milliseconds timeout) {
  if (!impl_->sub) return absl::FailedPreconditionError("no subscription");
  natsMsg* raw = nullptr;
  natsStatus s = natsSubscription_NextMsg(&raw, impl_->sub.get(), timeout.count());
  MsgPtr msg(raw);
  if (s == NATS_TIMEOUT) return std::optional<StreamBlock>();
  if (s != NATS_OK) return nats_error("reading the stream", s);
  jsMsgMetaData* raw_meta = nullptr;
  if (natsStatus ms = natsMsg_GetMetaData(&raw_meta, msg.get()); ms != NATS_OK)
    return nats_error("message metadata", ms);
  MetaPtr meta(raw_meta);
  return std::optional<StreamBlock>(to_stream_block(msg.get(), meta->Sequence.Stream));
}

}  // namespace bg
