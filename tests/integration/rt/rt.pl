#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Request Tracker's own Perl API, for tests/integration/t-rt.sh, on the RT
# that RT_SITE_CONFIG and RT_SITE_CONFIG_DIR name (the test's SQLite
# database, never the system's). Few commands that do much: each start
# loads all of RT (1.5 s on an idle machine).
#   rt.pl init QUEUE ADDRESS OWNER-EMAIL REQUESTOR SUBJECT...
#       the queue, its owner "agent", rights (Everyone may create and
#       reply by mail), the owner's address in the Resolved template
#       (X-Ticket-Owner); then one ticket per SUBJECT from REQUESTOR,
#       owned and resolved by agent. Prints the ticket ids.
#   rt.pl sent REGEX DIR ID...
#       the last mail RT sent on each ticket with a Subject matching
#       REGEX, as RT recorded it: DIR/ID/message-id, DIR/ID/subject and
#       the decoded DIR/ID/text-plain and DIR/ID/text-html
#   rt.pl look DIR ID...
#       DIR/status.ID: the ticket's status; DIR/received.ID: the headers
#       of every mail RT took into it
use strict;
use warnings;
use lib '/usr/local/share/request-tracker5/lib', '/usr/share/request-tracker5/lib';
use RT -init;
use MIME::Entity;

my $cmd = shift // '';
my $system = RT->SystemUser;

sub fail { print STDERR "rt.pl $cmd: @_\n"; exit 1 }

sub ticket {
	my ($id, $user) = @_;
	my $t = RT::Ticket->new($user // $system);
	$t->Load($id);
	$t->id or fail("no ticket $id");
	return $t;
}

sub spew {
	my ($path, $data) = @_;
	open(my $fh, '>:raw', $path) or fail("$path: $!");
	print $fh $data;
	close($fh) or fail("$path: $!");
}

sub setup {
	my ($queue, $address, $owner_email) = @_;
	my $q = RT::Queue->new($system);
	my ($ok, $msg) = $q->Create(Name => $queue, CorrespondAddress => $address);
	$ok or fail("queue: $msg");
	my $u = RT::User->new($system);
	($ok, $msg) = $u->Create(Name => 'agent', EmailAddress => $owner_email,
		RealName => 'J. Doe', Privileged => 1);
	$ok or fail("user: $msg");
	for my $right (qw(OwnTicket ShowTicket ModifyTicket ReplyToTicket SeeQueue)) {
		($ok, $msg) = $u->PrincipalObj->GrantRight(Right => $right, Object => $q);
		$ok or fail("right $right: $msg");
	}
	# What an RT that takes mail from customers needs: Everyone may open
	# a ticket and reply to one by mail.
	my $everyone = RT::Group->new($system);
	$everyone->LoadSystemInternalGroup('Everyone');
	for my $right (qw(CreateTicket ReplyToTicket)) {
		($ok, $msg) = $everyone->PrincipalObj->GrantRight(Right => $right, Object => $q);
		$ok or fail("right $right: $msg");
	}
	# The template line of the README: the owner's address for the rule's
	# agent = header:X-Ticket-Owner. RT 5's "On Resolve Notify Requestors"
	# scrip uses "Resolved in HTML".
	my $tpl = RT::Template->new($system);
	$tpl->LoadGlobalTemplate('Resolved in HTML');
	$tpl->id or fail('no template "Resolved in HTML"');
	my $content = $tpl->Content;
	$content =~ s/^(Subject: [^\n]*\n)/$1X-Ticket-Owner: {\$Ticket->OwnerObj->EmailAddress}\n/
		or fail('the template has no Subject line');
	($ok, $msg) = $tpl->SetContent($content);
	$ok or fail("template: $msg");
}

if ($cmd eq 'init') {
	my ($queue, $address, $owner_email, $requestor, @subjects) = @ARGV;
	setup($queue, $address, $owner_email);
	my $agent = RT::CurrentUser->new;
	$agent->Load('agent');
	$agent->id or fail('no user agent');
	for my $subject (@subjects) {
		my $mime = MIME::Entity->build(Type => 'text/plain', Charset => 'UTF-8',
			From => $requestor, Subject => $subject,
			Data => ["Since this morning: $subject.\n"]);
		my $t = RT::Ticket->new($system);
		my ($id, undef, $msg) = $t->Create(Queue => $queue, Subject => $subject,
			Requestor => [$requestor], Owner => 'agent', MIMEObj => $mime);
		$id or fail("ticket: $msg");
		my ($ok, $msg2) = ticket($id, $agent)->SetStatus('resolved');
		$ok or fail("resolve $id: $msg2");
		print "$id\n";
	}
} elsif ($cmd eq 'sent') {
	my ($re, $dir, @ids) = @ARGV;
	for my $id (@ids) {
		my ($mail, $txns) = (undef, ticket($id)->Transactions);
		while (my $txn = $txns->Next) {
			next unless $txn->Type eq 'EmailRecord';
			my $top = $txn->Attachments->First or next;
			$mail = $top if ($top->Subject // '') =~ /$re/;
		}
		$mail or fail("ticket $id: no mail sent with a subject like /$re/");
		mkdir("$dir/$id");
		spew("$dir/$id/message-id", ($mail->GetHeader('Message-ID') // '') . "\n");
		spew("$dir/$id/subject", $mail->Subject . "\n");
		my $parts = $mail->Children;
		while (my $p = $parts->Next) {
			next unless $p->ContentType =~ m{^text/(plain|html)$};
			(my $name = $p->ContentType) =~ s{/}{-};
			spew("$dir/$id/$name", Encode::encode('UTF-8', $p->Content));
		}
	}
} elsif ($cmd eq 'look') {
	my ($dir, @ids) = @ARGV;
	for my $id (@ids) {
		my $t = ticket($id);
		spew("$dir/status.$id", $t->Status . "\n");
		my ($txns, $headers) = ($t->Transactions, '');
		while (my $txn = $txns->Next) {
			next unless $txn->Type =~ /^(Create|Correspond|Comment)$/;
			my $top = $txn->Attachments->First or next;
			$headers .= "=== transaction " . $txn->id . " " . $txn->Type . "\n" . $top->Headers . "\n";
		}
		spew("$dir/received.$id", Encode::encode('UTF-8', $headers));
	}
} else {
	fail('usage: rt.pl init|sent|look ...');
}
