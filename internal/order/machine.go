package order

import (
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// Status is where an order stands.
type Status string

// The order states (R-6.6-9).
const (
	AwaitingPayment Status = "awaiting_payment"
	Paid            Status = "paid"
	Accepted        Status = "accepted"
	Shipped         Status = "shipped"
	Delivered       Status = "delivered"
	Completed       Status = "completed"
	Cancelled       Status = "cancelled"
)

// Statuses lists every state in the order a consumer meets them.
var Statuses = []Status{AwaitingPayment, Paid, Accepted, Shipped, Delivered, Completed, Cancelled}

// Valid reports whether s is a known state.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// Event is something that happens to an order. Every change of status is
// one event through Machine; nothing else writes orders.status.
type Event string

// The events. Later capabilities (payments, delivery, after-sales) fire
// these through Service.Fire rather than writing the status themselves.
const (
	EvPay            Event = "pay"                // the payment provider confirmed payment
	EvCancel         Event = "cancel"             // the consumer cancels before paying
	EvPaymentExpired Event = "payment_expired"    // R-6.6-7: unpaid at pay_before
	EvAccept         Event = "accept"             // R-6.6-8: the seller confirms the paid order
	EvReject         Event = "reject"             // the seller declines the paid order (refunded in full)
	EvAcceptExpired  Event = "acceptance_expired" // R-6.6-8: not accepted within 24 h
	EvShip           Event = "ship"               // handed to the carrier
	EvDeliver        Event = "deliver"            // the carrier delivered it
	EvConfirmReceipt Event = "confirm_receipt"    // the consumer confirms receipt
	EvAutoComplete   Event = "auto_complete"      // the receipt window passed
)

// Machine is the one table of legal transitions (R-6.6-9, §6.6). An event
// not listed for the current state is refused with 409 invalid-transition
// and changes nothing.
var Machine = map[Status]map[Event]Status{
	AwaitingPayment: {EvPay: Paid, EvCancel: Cancelled, EvPaymentExpired: Cancelled},
	Paid:            {EvAccept: Accepted, EvReject: Cancelled, EvAcceptExpired: Cancelled},
	Accepted:        {EvShip: Shipped},
	Shipped:         {EvDeliver: Delivered, EvConfirmReceipt: Completed},
	Delivered:       {EvConfirmReceipt: Completed, EvAutoComplete: Completed},
	Completed:       {},
	Cancelled:       {},
}

// Next returns the state event ev leads to from s, or an invalid-transition
// problem naming both.
func Next(s Status, ev Event) (Status, error) {
	if to, ok := Machine[s][ev]; ok {
		return to, nil
	}
	return "", problem.Newf(problem.InvalidTransition,
		"订单当前状态为“%s”，不能执行“%s”", "The order is %s; %s is not possible now",
		statusNames[s].ZH, eventNames[ev].ZH).
		With("status", string(s)).With("event", string(ev))
}

// Terminal reports whether no event leaves s.
func (s Status) Terminal() bool { return len(Machine[s]) == 0 }

// Label is the status in the reader's language.
func (s Status) Label() i18n.Text { return statusNames[s] }

var statusNames = map[Status]i18n.Text{
	AwaitingPayment: i18n.T("待付款", "Awaiting payment"),
	Paid:            i18n.T("已付款，待商家接单", "Paid, awaiting the seller"),
	Accepted:        i18n.T("商家已接单", "Accepted by the seller"),
	Shipped:         i18n.T("已发货", "Shipped"),
	Delivered:       i18n.T("已送达", "Delivered"),
	Completed:       i18n.T("已完成", "Completed"),
	Cancelled:       i18n.T("已取消", "Cancelled"),
}

var eventNames = map[Event]i18n.Text{
	EvPay:            i18n.T("付款", "pay"),
	EvCancel:         i18n.T("取消订单", "cancel"),
	EvPaymentExpired: i18n.T("超时未付款关闭", "close for non-payment"),
	EvAccept:         i18n.T("接单", "accept"),
	EvReject:         i18n.T("拒绝接单", "reject"),
	EvAcceptExpired:  i18n.T("超时未接单关闭", "close for non-acceptance"),
	EvShip:           i18n.T("发货", "ship"),
	EvDeliver:        i18n.T("送达", "deliver"),
	EvConfirmReceipt: i18n.T("确认收货", "confirm receipt"),
	EvAutoComplete:   i18n.T("自动确认收货", "auto-complete"),
}

// EventLabel is the event in the reader's language.
func (e Event) Label() i18n.Text { return eventNames[e] }
