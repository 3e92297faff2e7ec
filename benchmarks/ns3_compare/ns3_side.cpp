// The scenario of scenario.hpp in ns-3 (Debian's libns3-dev 3.37): its
// point-to-point links, drop-tail device queues, a receive error model and
// the BulkSend application into a PacketSink.
//
// What is set to match l4kit, and how (README "ns-3 side by side"):
//   - three nodes, sender - router - receiver; the access link 1 Gbit/s with
//     no delay, the bottleneck 100 Mbit/s and 10 ms each way;
//   - the bottleneck buffer is the router's device queue alone, a
//     DropTailQueue of 100 packets: with the devices' flow control off
//     (PointToPointHelper::DisableFlowControl) Ipv4AddressHelper::Assign
//     installs no traffic-control queue disc (its default is FqCoDel), so
//     a full device queue drops (and traces the drop) instead of backing
//     up into a queue disc; checked below;
//   - random loss 1e-3 per packet as a RateErrorModel (ERROR_UNIT_PACKET)
//     set as the ReceiveErrorModel of the receiver's device: data direction
//     only, after the wire, as l4kit's loss impairment;
//   - SegmentSize 1448 (a 1500-byte IP packet with timestamps, l4kit's
//     effective MSS), SACK, timestamps and window scaling on, 4 MiB send and
//     receive buffers, initial cwnd 10 segments (RFC 6928, as l4kit's for
//     this MSS), delayed ACK every 2 segments or 200 ms, minimum RTO 1 s
//     (RFC 6298, l4kit's default);
//   - NewReno = TcpNewReno, CUBIC = TcpCubic, BBR = TcpBbr with pacing on
//     (TcpSocketState::EnablePacing); recovery is ns-3's default, printed.
#include "scenario.hpp"

#include <ns3/applications-module.h>
#include <ns3/core-module.h>
#include <ns3/internet-module.h>
#include <ns3/network-module.h>
#include <ns3/point-to-point-module.h>
#include <ns3/traffic-control-module.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace l4bench {
namespace {

struct ns3_counters {
    std::uint64_t data_lost = 0;
    std::uint64_t queue_drops = 0;
    std::uint64_t retransmits = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t rx_at_warmup = 0;
    ns3::SequenceNumber32 high_tx{0};
    bool any_tx = false;
};

void on_phy_rx_drop(ns3_counters* c, ns3::Ptr<const ns3::Packet>) { ++c->data_lost; }
void on_queue_drop(ns3_counters* c, ns3::Ptr<const ns3::Packet>) { ++c->queue_drops; }

// A data segment that starts below the highest sequence sent is a retransmission.
void on_tcp_tx(ns3_counters* c, ns3::Ptr<const ns3::Packet> p, const ns3::TcpHeader& h, ns3::Ptr<const ns3::TcpSocketBase>) {
    if (p->GetSize() == 0) return;
    const ns3::SequenceNumber32 end = h.GetSequenceNumber() + p->GetSize();
    if (c->any_tx && h.GetSequenceNumber() < c->high_tx) ++c->retransmits;
    if (!c->any_tx || end > c->high_tx) c->high_tx = end;
    c->any_tx = true;
}

void on_cong_state(ns3_counters* c, ns3::TcpSocketState::TcpCongState_t, ns3::TcpSocketState::TcpCongState_t now) {
    if (now == ns3::TcpSocketState::CA_LOSS) ++c->timeouts;
}

void hook_socket(ns3_counters* c, ns3::Ptr<ns3::BulkSendApplication> app) {
    const ns3::Ptr<ns3::Socket> s = app->GetSocket();
    s->TraceConnectWithoutContext("Tx", ns3::MakeBoundCallback(&on_tcp_tx, c));
    s->TraceConnectWithoutContext("CongState", ns3::MakeBoundCallback(&on_cong_state, c));
}

void sample_warmup(ns3_counters* c, ns3::Ptr<ns3::PacketSink> sink) { c->rx_at_warmup = sink->GetTotalRx(); }

}  // namespace

const char* ns3_recovery_type() {
    static std::string name = [] {
        ns3::TypeId::AttributeInformation info;
        if (!ns3::TcpL4Protocol::GetTypeId().LookupAttributeByName("RecoveryType", &info)) return std::string{"?"};
        return info.initialValue->SerializeToString(info.checker);
    }();
    return name.c_str();
}

outcome run_ns3(const char* ns3_type, const scenario& s) {
    using namespace ns3;
    const auto w0 = std::chrono::steady_clock::now();
    const double c0 = cpu_now();
    const bool bbr = std::string{ns3_type} == "ns3::TcpBbr";

    RngSeedManager::SetSeed(static_cast<std::uint32_t>(s.seed));
    RngSeedManager::SetRun(1);
    Config::SetDefault("ns3::TcpL4Protocol::SocketType", TypeIdValue(TypeId::LookupByName(ns3_type)));
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(s.segment));
    Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(s.buffer));
    Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(s.buffer));
    Config::SetDefault("ns3::TcpSocket::InitialCwnd", UintegerValue(10));
    Config::SetDefault("ns3::TcpSocket::DelAckCount", UintegerValue(s.ack_every_segment ? 1 : 2));
    Config::SetDefault("ns3::TcpSocket::DelAckTimeout", TimeValue(MilliSeconds(s.delayed_ack_ms)));
    Config::SetDefault("ns3::TcpSocketBase::Sack", BooleanValue(true));
    Config::SetDefault("ns3::TcpSocketBase::Timestamp", BooleanValue(true));
    Config::SetDefault("ns3::TcpSocketBase::WindowScaling", BooleanValue(true));
    Config::SetDefault("ns3::TcpSocketBase::MinRto", TimeValue(Seconds(1)));
    Config::SetDefault("ns3::TcpSocketState::EnablePacing", BooleanValue(bbr));
    Config::SetDefault("ns3::TcpL4Protocol::RecoveryType",
                       TypeIdValue(TypeId::LookupByName(s.ns3_classic_recovery ? "ns3::TcpClassicRecovery" : "ns3::TcpPrrRecovery")));

    NodeContainer nodes;
    nodes.Create(3);  // 0 sender, 1 router, 2 receiver

    PointToPointHelper access;
    access.SetDeviceAttribute("DataRate", DataRateValue(DataRate(s.access_bps)));
    access.SetChannelAttribute("Delay", TimeValue(Seconds(0)));
    access.SetQueue("ns3::DropTailQueue", "MaxSize", QueueSizeValue(QueueSize(QueueSizeUnit::PACKETS, s.access_queue_packets)));
    access.DisableFlowControl();
    PointToPointHelper bottleneck;
    bottleneck.SetDeviceAttribute("DataRate", DataRateValue(DataRate(s.bottleneck_bps)));
    bottleneck.SetChannelAttribute("Delay", TimeValue(MilliSeconds(s.one_way_ms)));
    bottleneck.SetQueue("ns3::DropTailQueue", "MaxSize", QueueSizeValue(QueueSize(QueueSizeUnit::PACKETS, s.queue_packets)));
    bottleneck.DisableFlowControl();

    NetDeviceContainer left = access.Install(nodes.Get(0), nodes.Get(1));
    NetDeviceContainer right = bottleneck.Install(nodes.Get(1), nodes.Get(2));
    // The reverse way (receiver -> router) carries ACKs only: a queue that never fills.
    right.Get(1)->GetObject<PointToPointNetDevice>()->GetQueue()->SetMaxSize(
        QueueSize(QueueSizeUnit::PACKETS, s.access_queue_packets));

    InternetStackHelper stack;
    stack.Install(nodes);
    Ipv4AddressHelper addr;
    addr.SetBase("192.0.2.0", "255.255.255.0");
    addr.Assign(left);
    addr.SetBase("198.51.100.0", "255.255.255.0");
    const Ipv4InterfaceContainer rif = addr.Assign(right);
    // With flow control off the devices have no NetDeviceQueueInterface, so
    // Assign installed no queue disc: the device queues are the only ones.
    for (NetDeviceContainer* devs : {&left, &right})
        for (auto it = devs->Begin(); it != devs->End(); ++it)
            NS_ABORT_MSG_IF((*it)->GetNode()->GetObject<TrafficControlLayer>()->GetRootQueueDiscOnDevice(*it),
                            "a queue disc on a device");
    Ipv4GlobalRoutingHelper::PopulateRoutingTables();

    ns3_counters c;
    Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();
    em->SetAttribute("ErrorRate", DoubleValue(s.loss));
    em->SetAttribute("ErrorUnit", EnumValue(RateErrorModel::ERROR_UNIT_PACKET));
    em->AssignStreams(static_cast<std::int64_t>(s.seed));
    right.Get(1)->SetAttribute("ReceiveErrorModel", PointerValue(em));
    right.Get(1)->TraceConnectWithoutContext("PhyRxDrop", MakeBoundCallback(&on_phy_rx_drop, &c));
    right.Get(0)->GetObject<PointToPointNetDevice>()->GetQueue()->TraceConnectWithoutContext(
        "Drop", MakeBoundCallback(&on_queue_drop, &c));

    constexpr std::uint16_t port = 5001;
    BulkSendHelper source("ns3::TcpSocketFactory", InetSocketAddress(rif.GetAddress(1), port));
    source.SetAttribute("MaxBytes", UintegerValue(0));
    source.SetAttribute("SendSize", UintegerValue(s.segment));
    ApplicationContainer src = source.Install(nodes.Get(0));
    PacketSinkHelper sink_helper("ns3::TcpSocketFactory", InetSocketAddress(Ipv4Address::GetAny(), port));
    ApplicationContainer dst = sink_helper.Install(nodes.Get(2));
    src.Start(Seconds(0));
    dst.Start(Seconds(0));
    const Time end = Seconds(s.seconds);
    src.Stop(end);
    dst.Stop(end);
    const Ptr<BulkSendApplication> bulk = DynamicCast<BulkSendApplication>(src.Get(0));
    const Ptr<PacketSink> sink = DynamicCast<PacketSink>(dst.Get(0));
    // The socket exists once the application has started, before the SYN's answer.
    Simulator::Schedule(MilliSeconds(1), &hook_socket, &c, bulk);
    if (s.warmup_seconds > 0) Simulator::Schedule(Seconds(s.warmup_seconds), &sample_warmup, &c, sink);

    Simulator::Stop(end);
    Simulator::Run();
    outcome o;
    o.bytes = sink->GetTotalRx() - c.rx_at_warmup;
    Simulator::Destroy();
    o.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    o.cpu_seconds = cpu_now() - c0;
    o.goodput_bps = static_cast<double>(o.bytes) * 8.0 / static_cast<double>(s.seconds - s.warmup_seconds);
    o.data_lost = c.data_lost;
    o.queue_drops = c.queue_drops;
    o.retransmits = c.retransmits;
    o.timeouts = c.timeouts;
    return o;
}

}  // namespace l4bench
