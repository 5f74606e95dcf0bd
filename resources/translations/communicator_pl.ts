<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="pl" sourcelanguage="en">
<context>
    <name>AgentState</name>
    <message>
        <source>Ready</source>
        <translation>Gotowy</translation>
    </message>
    <message>
        <source>Not ready</source>
        <translation>Niegotowy</translation>
    </message>
    <message>
        <source>Not ready - no answer</source>
        <translation>Niegotowy - nieodebrane połączenie</translation>
    </message>
    <message>
        <source>On a call</source>
        <translation>W rozmowie</translation>
    </message>
    <message>
        <source>Wrap-up</source>
        <translation>Przerwa po rozmowie</translation>
    </message>
    <message>
        <source>Signed out</source>
        <translation>Wylogowany</translation>
    </message>
</context>
<context>
    <name>AgentStateSwitch</name>
    <message>
        <source>{time} in state</source>
        <translation>{time} w tym statusie</translation>
    </message>
    <message>
        <source>{time} left</source>
        <translation>pozostało {time}</translation>
    </message>
    <message>
        <source>{hours} h {minutes} min</source>
        <translation>{hours} godz. {minutes} min</translation>
    </message>
    <message>
        <source>{minutes} min</source>
        <translation>{minutes} min</translation>
    </message>
    <message>
        <source>Your state</source>
        <translation>Twój status</translation>
    </message>
    <message>
        <source>Your state for the contact center</source>
        <translation>Twój status w contact center</translation>
    </message>
    <message>
        <source>How long you have been in this state</source>
        <translation>Jak długo jesteś w tym statusie</translation>
    </message>
    <message>
        <source>Take calls</source>
        <translation>Przyjmuj połączenia</translation>
    </message>
    <message>
        <source>Stop taking calls, with a reason</source>
        <translation>Przestań przyjmować połączenia, z podaniem powodu</translation>
    </message>
    <message>
        <source>Not ready reasons</source>
        <translation>Powody niegotowości</translation>
    </message>
    <message>
        <source>Choose why you are not ready</source>
        <translation>Wybierz, dlaczego jesteś niegotowy</translation>
    </message>
    <message>
        <source>Extend</source>
        <translation>Przedłuż</translation>
    </message>
    <message>
        <source>More time for after-call work</source>
        <translation>Więcej czasu na pracę po rozmowie</translation>
    </message>
    <message>
        <source>Agent state</source>
        <translation>Status agenta</translation>
    </message>
    <message>
        <source>Your state, how long you have been in it, and the switch</source>
        <translation>Twój status, jak długo w nim jesteś, i jego przełącznik</translation>
    </message>
    <message>
        <source>Not ready: {reason}</source>
        <translation>Niegotowy: {reason}</translation>
    </message>
    <message>
        <source>Your state: {state}</source>
        <translation>Twój status: {state}</translation>
    </message>
    <message>
        <source>Back to Ready</source>
        <translation>Wróć do stanu Gotowy</translation>
    </message>
</context>
<context>
    <name>CallNotifier</name>
    <message>
        <source>Incoming call</source>
        <translation>Połączenie przychodzące</translation>
    </message>
    <message>
        <source>{caller} on line {line}</source>
        <translation>{caller} na linii {line}</translation>
    </message>
    <message>
        <source>Missed call</source>
        <translation>Nieodebrane połączenie</translation>
    </message>
    <message>
        <source>{caller} called; the call is in your history.</source>
        <translation>Dzwonił(a): {caller}; połączenie jest w historii.</translation>
    </message>
</context>
<context>
    <name>CallQuality</name>
    <message>
        <source>good</source>
        <translation>dobra</translation>
    </message>
    <message>
        <source>amber</source>
        <translation>pogorszona</translation>
    </message>
    <message>
        <source>red</source>
        <translation>zła</translation>
    </message>
    <message>
        <source>unknown yet</source>
        <translation>jeszcze nieznany</translation>
    </message>
    <message>
        <source>{ms} ms</source>
        <translation>{ms} ms</translation>
    </message>
    <message>
        <source>Call quality: {level} (MOS {mos})</source>
        <translation>Jakość połączenia: {level} (MOS {mos})</translation>
    </message>
    <message>
        <source>Received: loss {loss} %, jitter {jitter} ms</source>
        <translation>Odbierane: straty {loss} %, jitter {jitter} ms</translation>
    </message>
    <message>
        <source>Sent: loss {loss} %, jitter {jitter} ms</source>
        <translation>Wysyłane: straty {loss} %, jitter {jitter} ms</translation>
    </message>
    <message>
        <source>Round trip: {rtt}</source>
        <translation>Czas w obie strony (RTT): {rtt}</translation>
    </message>
    <message>
        <source>Codec: {codec}</source>
        <translation>Kodek: {codec}</translation>
    </message>
    <message>
        <source>Packets and losses of the last {seconds} s</source>
        <translation>Pakiety i straty z ostatnich {seconds} s</translation>
    </message>
</context>
<context>
    <name>Desktop</name>
    <message>
        <source>Communicator is still running</source>
        <translation>Communicator nadal działa</translation>
    </message>
    <message>
        <source>Calls still ring here. Open it from this icon; choose Quit in its menu to stop.</source>
        <translation>Połączenia nadal tu dzwonią. Otworzysz go tą ikoną; aby go zamknąć, wybierz Zamknij w jej menu.</translation>
    </message>
</context>
<context>
    <name>DesktopTray</name>
    <message>
        <source>Your state</source>
        <translation>Twój status</translation>
    </message>
    <message>
        <source>Show Communicator</source>
        <translation>Pokaż Communicator</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>Wyloguj</translation>
    </message>
    <message>
        <source>Quit Communicator</source>
        <translation>Zamknij Communicator</translation>
    </message>
</context>
<context>
    <name>DialPad</name>
    <message>
        <source>star</source>
        <translation>gwiazdka</translation>
    </message>
    <message>
        <source>hash</source>
        <translation>krzyżyk</translation>
    </message>
    <message>
        <source>plus</source>
        <translation>plus</translation>
    </message>
    <message>
        <source>{purpose}: the keys 0 to 9, star and hash</source>
        <translation>{purpose}: klawisze od 0 do 9, gwiazdka i krzyżyk</translation>
    </message>
</context>
<context>
    <name>DialPanel</name>
    <message>
        <source>&amp;Number:</source>
        <translation>&amp;Numer:</translation>
    </message>
    <message>
        <source>Number to call</source>
        <translation>Numer do wybrania</translation>
    </message>
    <message>
        <source>Type or paste a number, extension or SIP address; Enter calls</source>
        <translation>Wpisz lub wklej numer, numer wewnętrzny albo adres SIP; Enter dzwoni</translation>
    </message>
    <message>
        <source>Number, extension or name</source>
        <translation>Numer, numer wewnętrzny lub nazwa</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>Zadzwoń</translation>
    </message>
    <message>
        <source>Call the number in the field</source>
        <translation>Zadzwoń pod numer wpisany w polu</translation>
    </message>
    <message>
        <source>Dial pad</source>
        <translation>Klawiatura numeryczna</translation>
    </message>
    <message>
        <source>Dialling</source>
        <translation>Wybieranie numeru</translation>
    </message>
    <message>
        <source>The number field, the Call button and the dial pad</source>
        <translation>Pole numeru, przycisk Zadzwoń i klawiatura numeryczna</translation>
    </message>
    <message>
        <source>No free line, or the phone is off</source>
        <translation>Brak wolnej linii lub telefon jest wyłączony</translation>
    </message>
</context>
<context>
    <name>DirectoryView</name>
    <message>
        <source>no number now</source>
        <translation>obecnie bez numeru</translation>
    </message>
    <message>
        <source>&amp;Search the directory:</source>
        <translation>S&amp;zukaj w książce adresowej:</translation>
    </message>
    <message>
        <source>Search the directory</source>
        <translation>Szukaj w książce adresowej</translation>
    </message>
    <message>
        <source>Type part of a name, number or group</source>
        <translation>Wpisz część nazwy, numeru lub grupy</translation>
    </message>
    <message>
        <source>Directory</source>
        <translation>Książka adresowa</translation>
    </message>
    <message>
        <source>People and groups; press Enter or double-click to call</source>
        <translation>Osoby i grupy; naciśnij Enter lub kliknij dwukrotnie, aby zadzwonić</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>Zadzwoń</translation>
    </message>
    <message>
        <source>Call the selected entry</source>
        <translation>Zadzwoń do wybranej pozycji</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Odśwież</translation>
    </message>
    <message>
        <source>Load the directory again</source>
        <translation>Wczytaj ponownie książkę adresową</translation>
    </message>
    <message>
        <source>Search the directory and call</source>
        <translation>Przeszukaj książkę adresową i zadzwoń</translation>
    </message>
</context>
<context>
    <name>DtmfKeypad</name>
    <message>
        <source>Keypad</source>
        <translation>Klawiatura</translation>
    </message>
    <message>
        <source>The tones sent on this call</source>
        <translation>Tony wysłane w tym połączeniu</translation>
    </message>
    <message>
        <source>Send tones on the selected call, for menus and PINs</source>
        <translation>Wysyłaj tony w wybranym połączeniu (menu, kody PIN)</translation>
    </message>
    <message>
        <source>Sent: {digits}</source>
        <translation>Wysłano: {digits}</translation>
    </message>
</context>
<context>
    <name>HistoryView</name>
    <message>
        <source>When</source>
        <translation>Kiedy</translation>
    </message>
    <message>
        <source>Direction</source>
        <translation>Kierunek</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nazwa</translation>
    </message>
    <message>
        <source>Number</source>
        <translation>Numer</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Wynik</translation>
    </message>
    <message>
        <source>Talk time</source>
        <translation>Czas rozmowy</translation>
    </message>
    <message>
        <source>Group</source>
        <translation>Grupa</translation>
    </message>
    <message>
        <source>Answered</source>
        <translation>Odebrane</translation>
    </message>
    <message>
        <source>Missed</source>
        <translation>Nieodebrane</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>Odrzucone</translation>
    </message>
    <message>
        <source>Forwarded</source>
        <translation>Przekierowane</translation>
    </message>
    <message>
        <source>Answered elsewhere</source>
        <translation>Odebrane gdzie indziej</translation>
    </message>
    <message>
        <source>Not answered</source>
        <translation>Bez odpowiedzi</translation>
    </message>
    <message>
        <source>All calls</source>
        <translation>Wszystkie połączenia</translation>
    </message>
    <message>
        <source>Not answered (outgoing)</source>
        <translation>Bez odpowiedzi (wychodzące)</translation>
    </message>
    <message>
        <source>&amp;Search the history:</source>
        <translation>&amp;Szukaj w historii:</translation>
    </message>
    <message>
        <source>Search the history</source>
        <translation>Szukaj w historii</translation>
    </message>
    <message>
        <source>Type part of a name, number or group</source>
        <translation>Wpisz część nazwy, numeru lub grupy</translation>
    </message>
    <message>
        <source>Which calls</source>
        <translation>Które połączenia</translation>
    </message>
    <message>
        <source>Show all calls, or only answered, missed or rejected</source>
        <translation>Pokaż wszystkie połączenia albo tylko odebrane, nieodebrane lub odrzucone</translation>
    </message>
    <message>
        <source>Call history</source>
        <translation>Historia połączeń</translation>
    </message>
    <message>
        <source>Newest first; press Enter or double-click to call back</source>
        <translation>Najnowsze na górze; naciśnij Enter lub kliknij dwukrotnie, aby oddzwonić</translation>
    </message>
    <message>
        <source>Call back</source>
        <translation>Oddzwoń</translation>
    </message>
    <message>
        <source>Call the selected number again</source>
        <translation>Zadzwoń ponownie na wybrany numer</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Historia</translation>
    </message>
    <message>
        <source>Calls on this computer: search and call back</source>
        <translation>Połączenia na tym komputerze: wyszukiwanie i oddzwanianie</translation>
    </message>
    <message>
        <source>In</source>
        <translation>Przych.</translation>
    </message>
    <message>
        <source>Out</source>
        <translation>Wych.</translation>
    </message>
</context>
<context>
    <name>IncomingCallPanel</name>
    <message>
        <source>{answer} answers, {decline} declines</source>
        <translation>{answer} odbiera, {decline} odrzuca</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>Klawisze</translation>
    </message>
    <message>
        <source>Incoming call - Communicator</source>
        <translation>Połączenie przychodzące - Communicator</translation>
    </message>
    <message>
        <source>Incoming call</source>
        <translation>Połączenie przychodzące</translation>
    </message>
    <message>
        <source>Caller</source>
        <translation>Dzwoniący</translation>
    </message>
    <message>
        <source>Caller&apos;s number</source>
        <translation>Numer dzwoniącego</translation>
    </message>
    <message>
        <source>Line</source>
        <translation>Linia</translation>
    </message>
    <message>
        <source>Group</source>
        <translation>Grupa</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>Odbierz</translation>
    </message>
    <message>
        <source>Decline</source>
        <translation>Odrzuć</translation>
    </message>
    <message>
        <source>&amp;Answer</source>
        <translation>&amp;Odbierz</translation>
    </message>
    <message>
        <source>&amp;Decline</source>
        <translation>O&amp;drzuć</translation>
    </message>
    <message>
        <source>Answer this call</source>
        <translation>Odbierz to połączenie</translation>
    </message>
    <message>
        <source>Decline this call</source>
        <translation>Odrzuć to połączenie</translation>
    </message>
    <message>
        <source>Unknown caller</source>
        <translation>Nieznany rozmówca</translation>
    </message>
    <message>
        <source>Line {line}</source>
        <translation>Linia {line}</translation>
    </message>
    <message>
        <source>via {group}</source>
        <translation>przez {group}</translation>
    </message>
    <message>
        <source>Call from {caller}</source>
        <translation>Połączenie od: {caller}</translation>
    </message>
    <message>
        <source>on line {line}</source>
        <translation>na linii {line}</translation>
    </message>
    <message>
        <source>&amp;Answer and hold the current call</source>
        <translation>&amp;Odbierz i wstrzymaj bieżącą rozmowę</translation>
    </message>
    <message>
        <source>Answer; the current call is held</source>
        <translation>Odbierz; bieżąca rozmowa zostanie wstrzymana</translation>
    </message>
    <message>
        <source>Answer the call</source>
        <translation>Odbierz połączenie</translation>
    </message>
    <message>
        <source>Decline the call</source>
        <translation>Odrzuć połączenie</translation>
    </message>
</context>
<context>
    <name>LineActions</name>
    <message>
        <source>Answer</source>
        <translation>Odbierz</translation>
    </message>
    <message>
        <source>Answer the selected ringing call</source>
        <translation>Odbierz wybrane dzwoniące połączenie</translation>
    </message>
    <message>
        <source>Decline</source>
        <translation>Odrzuć</translation>
    </message>
    <message>
        <source>Decline the selected ringing call</source>
        <translation>Odrzuć wybrane dzwoniące połączenie</translation>
    </message>
    <message>
        <source>Hang up</source>
        <translation>Rozłącz</translation>
    </message>
    <message>
        <source>End the selected call</source>
        <translation>Zakończ wybrane połączenie</translation>
    </message>
    <message>
        <source>Hold</source>
        <translation>Wstrzymaj</translation>
    </message>
    <message>
        <source>Put the selected call on hold</source>
        <translation>Wstrzymaj wybrane połączenie</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Wznów</translation>
    </message>
    <message>
        <source>Take the selected call off hold</source>
        <translation>Wznów wybrane wstrzymane połączenie</translation>
    </message>
    <message>
        <source>Switch to</source>
        <translation>Przejdź na linię</translation>
    </message>
    <message>
        <source>Talk on the selected line (the other call is held)</source>
        <translation>Rozmawiaj na wybranej linii (drugie połączenie zostanie wstrzymane)</translation>
    </message>
    <message>
        <source>Swap</source>
        <translation>Przełącz</translation>
    </message>
    <message>
        <source>Hold the active call and resume the held one</source>
        <translation>Wstrzymaj bieżące połączenie i wznów wstrzymane</translation>
    </message>
    <message>
        <source>Mute</source>
        <translation>Wycisz</translation>
    </message>
    <message>
        <source>Turn your microphone off or on for this call</source>
        <translation>Wyłącz lub włącz mikrofon w tym połączeniu</translation>
    </message>
    <message>
        <source>Keypad</source>
        <translation>Klawiatura</translation>
    </message>
    <message>
        <source>Show the keypad to send tones</source>
        <translation>Pokaż klawiaturę do wysyłania tonów</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>Przekaż</translation>
    </message>
    <message>
        <source>Transfer the call to someone (blind transfer)</source>
        <translation>Przekaż połączenie innej osobie (bez zapowiedzi)</translation>
    </message>
    <message>
        <source>Consult</source>
        <translation>Konsultacja</translation>
    </message>
    <message>
        <source>Call someone first, then transfer (attended transfer)</source>
        <translation>Najpierw zadzwoń do innej osoby, potem przekaż (przekazanie z zapowiedzią)</translation>
    </message>
    <message>
        <source>Complete transfer</source>
        <translation>Dokończ przekazanie</translation>
    </message>
    <message>
        <source>Connect the caller with the person you consulted</source>
        <translation>Połącz dzwoniącego z osobą, z którą się konsultujesz</translation>
    </message>
    <message>
        <source>Cancel consult</source>
        <translation>Anuluj konsultację</translation>
    </message>
    <message>
        <source>End the consultation and go back to the caller</source>
        <translation>Zakończ konsultację i wróć do dzwoniącego</translation>
    </message>
    <message>
        <source>Conference</source>
        <translation>Konferencja</translation>
    </message>
    <message>
        <source>Join this call and the other one into a conference</source>
        <translation>Połącz to i drugie połączenie w konferencję</translation>
    </message>
    <message>
        <source>Add to conference</source>
        <translation>Dodaj do konferencji</translation>
    </message>
    <message>
        <source>Call someone and add them to this call</source>
        <translation>Zadzwoń do innej osoby i dołącz ją do tej rozmowy</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>Rozdziel</translation>
    </message>
    <message>
        <source>End the conference; keep talking to this caller</source>
        <translation>Zakończ konferencję; kontynuuj rozmowę z tym rozmówcą</translation>
    </message>
    <message>
        <source>Call actions</source>
        <translation>Działania na połączeniu</translation>
    </message>
    <message>
        <source>What you can do with the selected line&apos;s call</source>
        <translation>Co możesz zrobić z połączeniem na wybranej linii</translation>
    </message>
    <message>
        <source>Transfer the call on line {line} to:</source>
        <translation>Przekaż połączenie z linii {line} do:</translation>
    </message>
    <message>
        <source>Consult someone about the call on line {line}:</source>
        <translation>Konsultacja w sprawie połączenia na linii {line} z:</translation>
    </message>
    <message>
        <source>Add someone to the call on line {line}:</source>
        <translation>Dodaj osobę do połączenia na linii {line}:</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Dodaj</translation>
    </message>
    <message>
        <source>Unmute</source>
        <translation>Wyłącz wyciszenie</translation>
    </message>
</context>
<context>
    <name>LinesTable</name>
    <message>
        <source>Line</source>
        <translation>Linia</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Stan</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nazwa</translation>
    </message>
    <message>
        <source>Number</source>
        <translation>Numer</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Czas</translation>
    </message>
    <message>
        <source>Marks</source>
        <translation>Oznaczenia</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>Jakość</translation>
    </message>
    <message>
        <source>Good</source>
        <translation>Dobra</translation>
    </message>
    <message>
        <source>Fair</source>
        <translation>Średnia</translation>
    </message>
    <message>
        <source>Poor</source>
        <translation>Słaba</translation>
    </message>
    <message>
        <source>Dialling</source>
        <translation>Wybieranie</translation>
    </message>
    <message>
        <source>Ringing</source>
        <translation>Dzwoni</translation>
    </message>
    <message>
        <source>Incoming</source>
        <translation>Przychodzące</translation>
    </message>
    <message>
        <source>Talking</source>
        <translation>Rozmowa</translation>
    </message>
    <message>
        <source>On hold</source>
        <translation>Wstrzymane</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Zakończone</translation>
    </message>
    <message>
        <source>Free</source>
        <translation>Wolna</translation>
    </message>
    <message>
        <source>(conference)</source>
        <translation>(konferencja)</translation>
    </message>
    <message>
        <source>(consulting)</source>
        <translation>(konsultacja)</translation>
    </message>
    <message>
        <source>(transferring)</source>
        <translation>(przekazywanie)</translation>
    </message>
    <message>
        <source>via {group}</source>
        <translation>przez {group}</translation>
    </message>
    <message>
        <source>Held</source>
        <translation>Wstrzymane</translation>
    </message>
    <message>
        <source>Held by caller</source>
        <translation>Wstrzymane przez rozmówcę</translation>
    </message>
    <message>
        <source>Muted</source>
        <translation>Wyciszone</translation>
    </message>
    <message>
        <source>Lines</source>
        <translation>Linie</translation>
    </message>
    <message>
        <source>One row per phone line: state, caller, time, hold and mute, call quality</source>
        <translation>Jeden wiersz na linię telefoniczną: stan, rozmówca, czas, wstrzymanie i wyciszenie, jakość połączenia</translation>
    </message>
    <message>
        <source>Line {line}</source>
        <translation>Linia {line}</translation>
    </message>
</context>
<context>
    <name>LostConnectionBanner</name>
    <message>
        <source>SIP phone has lost connection with the system</source>
        <translation>Telefon SIP utracił połączenie z systemem</translation>
    </message>
    <message>
        <source>Calls cannot reach you until it is back</source>
        <translation>Do czasu przywrócenia połączenia nie dotrą do Ciebie żadne rozmowy</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>Ostrzeżenie</translation>
    </message>
    <message>
        <source>The phone cannot reach the system</source>
        <translation>Telefon nie może połączyć się z systemem</translation>
    </message>
    <message>
        <source>Connection warning</source>
        <translation>Ostrzeżenie o połączeniu</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Calls</source>
        <translation>Połączenia</translation>
    </message>
    <message>
        <source>The number field, the lines and the call actions</source>
        <translation>Pole numeru, linie i działania na połączeniach</translation>
    </message>
    <message>
        <source>Your phone: state, lines, dialling, history, directory</source>
        <translation>Twój telefon: status, linie, wybieranie numeru, historia, książka adresowa</translation>
    </message>
    <message>
        <source>Who is signed in</source>
        <translation>Kto jest zalogowany</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>Pomoc</translation>
    </message>
    <message>
        <source>Show the keyboard shortcuts</source>
        <translation>Pokaż skróty klawiszowe</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Ustawienia</translation>
    </message>
    <message>
        <source>Sound devices, ringing, start-up and other settings</source>
        <translation>Urządzenia dźwiękowe, dzwonek, uruchamianie i inne ustawienia</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Historia</translation>
    </message>
    <message>
        <source>Directory</source>
        <translation>Książka adresowa</translation>
    </message>
    <message>
        <source>History and directory</source>
        <translation>Historia i książka adresowa</translation>
    </message>
    <message>
        <source>Your recent calls, and whom you can call</source>
        <translation>Twoje ostatnie połączenia i osoby, do których możesz zadzwonić</translation>
    </message>
    <message>
        <source>Status bar</source>
        <translation>Pasek stanu</translation>
    </message>
    <message>
        <source>Call logs waiting to be sent</source>
        <translation>Zapisy połączeń czekające na wysłanie</translation>
    </message>
    <message>
        <source>History ({missed} missed)</source>
        <translation>Historia (nieodebrane: {missed})</translation>
    </message>
    <message>
        <source>Not signed in</source>
        <translation>Niezalogowany</translation>
    </message>
    <message>
        <source>ext {extension}</source>
        <translation>wew. {extension}</translation>
    </message>
    <message>
        <source>offline start</source>
        <translation>uruchomiono bez połączenia</translation>
    </message>
</context>
<context>
    <name>MessageLine</name>
    <message>
        <source>Message level</source>
        <translation>Rodzaj komunikatu</translation>
    </message>
    <message>
        <source>The latest message for you</source>
        <translation>Najnowszy komunikat dla Ciebie</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>Dismiss message</source>
        <translation>Zamknij komunikat</translation>
    </message>
    <message>
        <source>Hide the latest message</source>
        <translation>Ukryj najnowszy komunikat</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Komunikaty</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>Ostrzeżenie</translation>
    </message>
    <message>
        <source>Information</source>
        <translation>Informacja</translation>
    </message>
</context>
<context>
    <name>NetworkRecovery</name>
    <message>
        <source>The phone could not reconnect after the network changed. It keeps trying; if calls do not reach you, sign out and sign in again.</source>
        <translation>Telefon nie mógł połączyć się ponownie po zmianie sieci. Nadal próbuje; jeśli połączenia do Ciebie nie docierają, wyloguj się i zaloguj ponownie.</translation>
    </message>
</context>
<context>
    <name>Notice</name>
    <message>
        <source>{caller} answered on line {line}; the call is on hold</source>
        <translation>{caller} odebrał(a) na linii {line}; połączenie jest wstrzymane</translation>
    </message>
    <message>
        <source>The call on line {line} could not be resumed{sip}: it is still on hold</source>
        <translation>Nie udało się wznowić połączenia na linii {line}{sip}: nadal jest wstrzymane</translation>
    </message>
    <message>
        <source>The call on line {line} could not be put on hold{sip}: it is still connected</source>
        <translation>Nie udało się wstrzymać połączenia na linii {line}{sip}: rozmowa nadal trwa</translation>
    </message>
    <message>
        <source>The call on line {line} could not be put on hold{sip}: the caller hears silence, not the hold</source>
        <translation>Nie udało się wstrzymać połączenia na linii {line}{sip}: rozmówca słyszy ciszę zamiast oczekiwania</translation>
    </message>
    <message>
        <source>Transfer of the call on line {line} failed ({detail})</source>
        <translation>Przekazanie połączenia z linii {line} nie powiodło się ({detail})</translation>
    </message>
    <message>
        <source>The transfer of the call on line {line} got no answer within {seconds} s; the call is still yours</source>
        <translation>Przekazanie połączenia z linii {line} nie doczekało się odpowiedzi w ciągu {seconds} s; połączenie nadal jest Twoje</translation>
    </message>
    <message>
        <source>{caller} transferred the call to {target} (line {line})</source>
        <translation>{caller} przekazał(a) połączenie do {target} (linia {line})</translation>
    </message>
    <message>
        <source>{caller} transferred the call to {target} (line {line} once the call ends)</source>
        <translation>{caller} przekazał(a) połączenie do {target} (linia {line} po zakończeniu rozmowy)</translation>
    </message>
    <message>
        <source>{caller} asked to transfer the call to {target}: declined</source>
        <translation>{caller} poprosił(a) o przekazanie połączenia do {target}: odrzucono</translation>
    </message>
    <message>
        <source>{caller} transferred the call to {target}, which failed: {detail}</source>
        <translation>{caller} przekazał(a) połączenie do {target}, ale to się nie powiodło: {detail}</translation>
    </message>
    <message>
        <source>Call forwarding skipped: {detail}</source>
        <translation>Pominięto przekierowanie połączenia: {detail}</translation>
    </message>
    <message>
        <source>New phone settings will be applied when the current call ends</source>
        <translation>Nowe ustawienia telefonu zostaną zastosowane po zakończeniu bieżącej rozmowy</translation>
    </message>
    <message>
        <source>Could not reach the SIP server over {transport} ({detail}); trying {next}</source>
        <translation>Nie można połączyć się z serwerem SIP przez {transport} ({detail}); próba przez {next}</translation>
    </message>
    <message>
        <source>Enter a number, extension or SIP address to dial</source>
        <translation>Wpisz numer, numer wewnętrzny lub adres SIP, aby zadzwonić</translation>
    </message>
    <message>
        <source>{dial} is not a phone number, extension or SIP address</source>
        <translation>{dial} nie jest numerem telefonu, numerem wewnętrznym ani adresem SIP</translation>
    </message>
    <message>
        <source>{dial} is not a valid SIP address</source>
        <translation>{dial} nie jest prawidłowym adresem SIP</translation>
    </message>
    <message>
        <source>{dial} has no user before the @</source>
        <translation>{dial}: brak nazwy użytkownika przed znakiem @</translation>
    </message>
    <message>
        <source>{dial} has no valid host after the @</source>
        <translation>{dial}: brak prawidłowego hosta po znaku @</translation>
    </message>
    <message>
        <source>{dial} is not a phone number</source>
        <translation>{dial} nie jest numerem telefonu</translation>
    </message>
    <message>
        <source>{dial} is too short: extensions have {min} to {max} digits</source>
        <translation>{dial} jest za krótki: numery wewnętrzne mają od {min} do {max} cyfr</translation>
    </message>
    <message>
        <source>{dial} is too long for a phone number</source>
        <translation>{dial} jest za długi jak na numer telefonu</translation>
    </message>
    <message>
        <source>{dial}: a country code cannot start with 0</source>
        <translation>{dial}: numer kierunkowy kraju nie może zaczynać się od 0</translation>
    </message>
    <message>
        <source>{dial}: international numbers have {min} to {max} digits</source>
        <translation>{dial}: numery międzynarodowe mają od {min} do {max} cyfr</translation>
    </message>
    <message>
        <source>All {lines} lines are busy</source>
        <translation>Wszystkie linie ({lines}) są zajęte</translation>
    </message>
    <message>
        <source>The line is busy</source>
        <translation>Linia jest zajęta</translation>
    </message>
    <message>
        <source>Line {line} is busy</source>
        <translation>Linia {line} jest zajęta</translation>
    </message>
    <message>
        <source>There is no line {line}; lines are 1 to {lines}</source>
        <translation>Nie ma linii {line}; dostępne są linie od 1 do {lines}</translation>
    </message>
    <message>
        <source>Swap needs one active call and one held call</source>
        <translation>Przełączenie wymaga jednego aktywnego i jednego wstrzymanego połączenia</translation>
    </message>
    <message>
        <source>Working offline: the server is unreachable; settings may be out of date</source>
        <translation>Praca bez połączenia: serwer jest nieosiągalny; ustawienia mogą być nieaktualne</translation>
    </message>
    <message>
        <source>Your profile was updated by an administrator</source>
        <translation>Administrator zaktualizował Twój profil</translation>
    </message>
    <message>
        <source>The call link {link} is too long to be a phone number or address.</source>
        <translation>Link do połączenia {link} jest za długi jak na numer telefonu lub adres.</translation>
    </message>
    <message>
        <source>The call link {link} contains characters a link cannot have.</source>
        <translation>Link do połączenia {link} zawiera znaki niedozwolone w linku.</translation>
    </message>
    <message>
        <source>{link} is not a call link: Communicator opens sip:, sips:, tel: and callto: links.</source>
        <translation>{link} nie jest linkiem do połączenia: Communicator otwiera linki sip:, sips:, tel: i callto:.</translation>
    </message>
    <message>
        <source>The call link {link} has no phone number.</source>
        <translation>Link do połączenia {link} nie zawiera numeru telefonu.</translation>
    </message>
    <message>
        <source>The call link {link} does not hold a phone number.</source>
        <translation>Link do połączenia {link} nie zawiera prawidłowego numeru telefonu.</translation>
    </message>
    <message>
        <source>The call link {link} asks for an extension after the number, which Communicator cannot dial: type the number and then the extension.</source>
        <translation>Link do połączenia {link} wymaga wybrania numeru wewnętrznego po numerze, czego Communicator nie potrafi: wpisz numer, a potem numer wewnętrzny.</translation>
    </message>
    <message>
        <source>The call link {link} has no number or address.</source>
        <translation>Link do połączenia {link} nie zawiera numeru ani adresu.</translation>
    </message>
    <message>
        <source>The call link {link} does not hold a number or an address.</source>
        <translation>Link do połączenia {link} nie zawiera prawidłowego numeru ani adresu.</translation>
    </message>
    <message>
        <source>The call link {link} is not an address of the form user@host.</source>
        <translation>Link do połączenia {link} nie jest adresem w postaci użytkownik@host.</translation>
    </message>
    <message>
        <source>The call link {link} has no user before the @.</source>
        <translation>Link do połączenia {link} nie ma nazwy użytkownika przed znakiem @.</translation>
    </message>
    <message>
        <source>The call link {link} has a user part that cannot be dialled.</source>
        <translation>Link do połączenia {link} ma część z nazwą użytkownika, której nie można wybrać.</translation>
    </message>
    <message>
        <source>The call link {link} has no valid host after the @.</source>
        <translation>Link do połączenia {link} nie ma prawidłowego hosta po znaku @.</translation>
    </message>
    <message>
        <source>The call link {link} has an invalid port.</source>
        <translation>Link do połączenia {link} ma nieprawidłowy port.</translation>
    </message>
    <message>
        <source>The call link {link} has parameters that cannot be read.</source>
        <translation>Link do połączenia {link} ma parametry, których nie można odczytać.</translation>
    </message>
</context>
<context>
    <name>PendingLogs</name>
    <message>
        <source>Call logs not yet sent to the server; they are kept here</source>
        <translation>Zapisy połączeń jeszcze niewysłane na serwer; są przechowywane na tym komputerze</translation>
    </message>
    <message>
        <source>{count} call log waiting to be sent</source>
        <translation>Zapisy połączeń czekające na wysłanie: {count}</translation>
    </message>
    <message>
        <source>{count} call logs waiting to be sent</source>
        <translation>Zapisy połączeń czekające na wysłanie: {count}</translation>
    </message>
    <message>
        <source>{count} call log refused by the server, kept for support</source>
        <translation>Zapisy połączeń odrzucone przez serwer (zachowane dla pomocy technicznej): {count}</translation>
    </message>
    <message>
        <source>{count} call logs refused by the server, kept for support</source>
        <translation>Zapisy połączeń odrzucone przez serwer (zachowane dla pomocy technicznej): {count}</translation>
    </message>
</context>
<context>
    <name>RegistrationBar</name>
    <message>
        <source>Phone off</source>
        <translation>Telefon wyłączony</translation>
    </message>
    <message>
        <source>Connecting the phone…</source>
        <translation>Łączenie telefonu…</translation>
    </message>
    <message>
        <source>Phone connected</source>
        <translation>Telefon połączony</translation>
    </message>
    <message>
        <source>Phone not connected, trying again</source>
        <translation>Telefon niepołączony, ponawianie próby</translation>
    </message>
    <message>
        <source>Phone not connected</source>
        <translation>Telefon niepołączony</translation>
    </message>
    <message>
        <source>Disconnecting the phone…</source>
        <translation>Rozłączanie telefonu…</translation>
    </message>
    <message>
        <source>Calls ring on {desk}</source>
        <translation>Połączenia dzwonią na {desk}</translation>
    </message>
    <message>
        <source>Desk phone (static IP)</source>
        <translation>Telefon biurkowy (stały adres IP)</translation>
    </message>
    <message>
        <source>No current registration.</source>
        <translation>Brak bieżącej rejestracji.</translation>
    </message>
    <message>
        <source>, {seconds} s left</source>
        <translation>, pozostało {seconds} s</translation>
    </message>
    <message>
        <source>Contact: {host}:{port}</source>
        <translation>Kontakt: {host}:{port}</translation>
    </message>
    <message>
        <source>Transport: {transport}</source>
        <translation>Transport: {transport}</translation>
    </message>
    <message>
        <source>Expires: every {seconds} s (next at {at}{left})</source>
        <translation>Odnawianie: co {seconds} s (następne o {at}{left})</translation>
    </message>
    <message>
        <source>Server: {server}</source>
        <translation>Serwer: {server}</translation>
    </message>
    <message>
        <source>Last problem: {detail}</source>
        <translation>Ostatni problem: {detail}</translation>
    </message>
    <message>
        <source>Phone status light</source>
        <translation>Lampka stanu telefonu</translation>
    </message>
    <message>
        <source>Green when the phone is connected</source>
        <translation>Zielona, gdy telefon jest połączony</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Szczegóły</translation>
    </message>
    <message>
        <source>Registration details</source>
        <translation>Szczegóły rejestracji</translation>
    </message>
    <message>
        <source>Show or hide the current registration: address, transport, expiry, server</source>
        <translation>Pokaż lub ukryj bieżącą rejestrację: adres, transport, ważność, serwer</translation>
    </message>
    <message>
        <source>Current registration</source>
        <translation>Bieżąca rejestracja</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Połączony</translation>
    </message>
    <message>
        <source>Not connected</source>
        <translation>Niepołączony</translation>
    </message>
</context>
<context>
    <name>RegistrationProblem</name>
    <message>
        <source>Wrong user name or password</source>
        <translation>Nieprawidłowa nazwa użytkownika lub hasło</translation>
    </message>
    <message>
        <source>The SIP server cannot be reached</source>
        <translation>Nie można połączyć się z serwerem SIP</translation>
    </message>
    <message>
        <source>The SIP server does not answer</source>
        <translation>Serwer SIP nie odpowiada</translation>
    </message>
    <message>
        <source>The secure connection to the SIP server failed</source>
        <translation>Nie udało się nawiązać bezpiecznego połączenia z serwerem SIP</translation>
    </message>
    <message>
        <source>The SIP server name cannot be resolved</source>
        <translation>Nie można odnaleźć nazwy serwera SIP</translation>
    </message>
    <message>
        <source>The SIP server refused the registration</source>
        <translation>Serwer SIP odrzucił rejestrację</translation>
    </message>
    <message>
        <source>The registration was removed</source>
        <translation>Rejestracja została usunięta</translation>
    </message>
    <message>
        <source>No successful registration refresh within {seconds} s (the SIP server does not answer)</source>
        <translation>Brak udanego odświeżenia rejestracji w ciągu {seconds} s (serwer SIP nie odpowiada)</translation>
    </message>
    <message>
        <source>no answer within {seconds} s</source>
        <translation>brak odpowiedzi w ciągu {seconds} s</translation>
    </message>
    <message>
        <source>; sign in again with the correct password</source>
        <translation>; zaloguj się ponownie z prawidłowym hasłem</translation>
    </message>
</context>
<context>
    <name>ScreenPop</name>
    <message>
        <source>The caller&apos;s record could not be opened: no web browser answered.</source>
        <translation>Nie udało się otworzyć karty dzwoniącego: żadna przeglądarka nie odpowiedziała.</translation>
    </message>
    <message>
        <source>The caller&apos;s record was not opened: the screen-pop address in your profile is not a web address this phone may open. Tell your administrator.</source>
        <translation>Karta dzwoniącego nie została otwarta: adres karty klienta w Twoim profilu nie jest adresem internetowym, który ten telefon może otworzyć. Zgłoś to administratorowi.</translation>
    </message>
</context>
<context>
    <name>SessionModel</name>
    <message>
        <source>You are already signed in.</source>
        <translation>Jesteś już zalogowany.</translation>
    </message>
    <message>
        <source>{count} call log(s) could not be sent yet. They stay on this computer and are sent the next time Communicator runs here.</source>
        <translation>Nie udało się jeszcze wysłać zapisów połączeń (liczba: {count}). Pozostają na tym komputerze i zostaną wysłane przy następnym uruchomieniu Communicatora.</translation>
    </message>
    <message>
        <source>You signed out.</source>
        <translation>Wylogowano.</translation>
    </message>
    <message>
        <source>The directory could not be loaded: {reason}</source>
        <translation>Nie udało się wczytać książki adresowej: {reason}</translation>
    </message>
    <message>
        <source>A call from {caller} was refused: all lines busy.</source>
        <translation>Połączenie od {caller} zostało odrzucone: wszystkie linie są zajęte.</translation>
    </message>
    <message>
        <source>A call from {caller} was answered busy: your state is {state}.</source>
        <translation>Połączenie od {caller} otrzymało sygnał zajętości: Twój status to {state}.</translation>
    </message>
    <message>
        <source>Sound is off in this session.</source>
        <translation>Dźwięk jest wyłączony w tej sesji.</translation>
    </message>
</context>
<context>
    <name>SettingsActions</name>
    <message>
        <source>not loaded</source>
        <translation>nie wczytano</translation>
    </message>
    <message>
        <source>The settings could not be saved: {error}</source>
        <translation>Nie udało się zapisać ustawień: {error}</translation>
    </message>
    <message>
        <source>Start at login could not be changed: {error}</source>
        <translation>Nie udało się zmienić uruchamiania przy logowaniu: {error}</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>System default</source>
        <translation>Domyślne systemowe</translation>
    </message>
    <message>
        <source>Set by your administrator</source>
        <translation>Ustawione przez administratora</translation>
    </message>
    <message>
        <source>System</source>
        <translation>Systemowy</translation>
    </message>
    <message>
        <source>Communicator settings</source>
        <translation>Ustawienia Communicatora</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Ustawienia</translation>
    </message>
    <message>
        <source>Sound devices, ringing, start-up and other settings</source>
        <translation>Urządzenia dźwiękowe, dzwonienie, uruchamianie i inne ustawienia</translation>
    </message>
    <message>
        <source>Settings pages</source>
        <translation>Strony ustawień</translation>
    </message>
    <message>
        <source>Sound, and general settings</source>
        <translation>Dźwięk i ustawienia ogólne</translation>
    </message>
    <message>
        <source>&amp;Sound</source>
        <translation>&amp;Dźwięk</translation>
    </message>
    <message>
        <source>&amp;General</source>
        <translation>&amp;Ogólne</translation>
    </message>
    <message>
        <source>Sound devices, ringing, tests and volumes</source>
        <translation>Urządzenia dźwiękowe, dzwonienie, testy i głośność</translation>
    </message>
    <message>
        <source>Tray, start-up, call links, SIP trace, language, About</source>
        <translation>Zasobnik, uruchamianie, linki do połączeń, śledzenie SIP, język, informacje</translation>
    </message>
    <message>
        <source>Save the settings and close</source>
        <translation>Zapisz ustawienia i zamknij</translation>
    </message>
    <message>
        <source>Close without saving</source>
        <translation>Zamknij bez zapisywania</translation>
    </message>
    <message>
        <source>Save the settings</source>
        <translation>Zapisz ustawienia</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>Mikrofon</translation>
    </message>
    <message>
        <source>The microphone for calls</source>
        <translation>Mikrofon do rozmów</translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation>Głośnik</translation>
    </message>
    <message>
        <source>Where you hear calls</source>
        <translation>Gdzie słychać rozmowy</translation>
    </message>
    <message>
        <source>Ringer</source>
        <translation>Dzwonek</translation>
    </message>
    <message>
        <source>Where incoming calls ring</source>
        <translation>Gdzie dzwonią połączenia przychodzące</translation>
    </message>
    <message>
        <source>&amp;Microphone:</source>
        <translation>&amp;Mikrofon:</translation>
    </message>
    <message>
        <source>S&amp;peaker:</source>
        <translation>&amp;Głośnik:</translation>
    </message>
    <message>
        <source>&amp;Ringer:</source>
        <translation>D&amp;zwonek:</translation>
    </message>
    <message>
        <source>Device preference</source>
        <translation>Preferowane urządzenia</translation>
    </message>
    <message>
        <source>Devices to use first when present, in order; * matches anything; &apos;default&apos; is the system default</source>
        <translation>Urządzenia używane w pierwszej kolejności, gdy są podłączone, w podanej kolejności; * pasuje do wszystkiego; &apos;default&apos; to urządzenie domyślne systemu</translation>
    </message>
    <message>
        <source>New preference</source>
        <translation>Nowe preferowane urządzenie</translation>
    </message>
    <message>
        <source>A device name or pattern, such as Jabra*</source>
        <translation>Nazwa urządzenia lub wzorzec, np. Jabra*</translation>
    </message>
    <message>
        <source>&amp;Add</source>
        <translation>Dod&amp;aj</translation>
    </message>
    <message>
        <source>Add the pattern to the preference list</source>
        <translation>Dodaj wzorzec do listy preferowanych urządzeń</translation>
    </message>
    <message>
        <source>Remo&amp;ve</source>
        <translation>&amp;Usuń</translation>
    </message>
    <message>
        <source>Remove the selected pattern</source>
        <translation>Usuń zaznaczony wzorzec</translation>
    </message>
    <message>
        <source>U&amp;p</source>
        <translation>W &amp;górę</translation>
    </message>
    <message>
        <source>Move the selected pattern up</source>
        <translation>Przesuń zaznaczony wzorzec w górę</translation>
    </message>
    <message>
        <source>Do&amp;wn</source>
        <translation>W d&amp;ół</translation>
    </message>
    <message>
        <source>Move the selected pattern down</source>
        <translation>Przesuń zaznaczony wzorzec w dół</translation>
    </message>
    <message>
        <source>Device &amp;preference:</source>
        <translation>&amp;Preferowane urządzenia:</translation>
    </message>
    <message>
        <source>Ring on the speaker too</source>
        <translation>Dzwoń również w głośniku</translation>
    </message>
    <message>
        <source>Incoming calls ring on the ringer and the speaker</source>
        <translation>Połączenia przychodzące dzwonią w dzwonku i w głośniku</translation>
    </message>
    <message>
        <source>Test s&amp;peaker</source>
        <translation>&amp;Testuj głośnik</translation>
    </message>
    <message>
        <source>Play two beeps on the speaker</source>
        <translation>Odtwórz dwa sygnały w głośniku</translation>
    </message>
    <message>
        <source>Test ri&amp;nger</source>
        <translation>Testuj &amp;dzwonek</translation>
    </message>
    <message>
        <source>Ring for a few seconds on the ringer</source>
        <translation>Dzwoń przez kilka sekund w dzwonku</translation>
    </message>
    <message>
        <source>Tests:</source>
        <translation>Testy:</translation>
    </message>
    <message>
        <source>Microphone level</source>
        <translation>Poziom mikrofonu</translation>
    </message>
    <message>
        <source>How loud the microphone hears you now</source>
        <translation>Jak głośno mikrofon Cię teraz słyszy</translation>
    </message>
    <message>
        <source>Microphone level:</source>
        <translation>Poziom mikrofonu:</translation>
    </message>
    <message>
        <source>Ring volume</source>
        <translation>Głośność dzwonka</translation>
    </message>
    <message>
        <source>How loud calls ring</source>
        <translation>Jak głośno dzwonią połączenia</translation>
    </message>
    <message>
        <source>Call volume</source>
        <translation>Głośność rozmów</translation>
    </message>
    <message>
        <source>How loud you hear calls</source>
        <translation>Jak głośno słychać rozmowy</translation>
    </message>
    <message>
        <source>Ring &amp;volume:</source>
        <translation>Głośność dz&amp;wonka:</translation>
    </message>
    <message>
        <source>&amp;Call volume:</source>
        <translation>Głośność &amp;rozmów:</translation>
    </message>
    <message>
        <source>Closing the window keeps Communicator in the tray</source>
        <translation>Zamknięcie okna pozostawia Communicator w zasobniku</translation>
    </message>
    <message>
        <source>Calls still ring with the window closed; quit from the tray icon</source>
        <translation>Połączenia dzwonią także przy zamkniętym oknie; program zamyka się z ikony w zasobniku</translation>
    </message>
    <message>
        <source>Start minimised</source>
        <translation>Uruchamiaj zminimalizowany</translation>
    </message>
    <message>
        <source>Start in the tray without showing the window</source>
        <translation>Uruchamiaj w zasobniku bez pokazywania okna</translation>
    </message>
    <message>
        <source>Start when I log in</source>
        <translation>Uruchamiaj po zalogowaniu do systemu</translation>
    </message>
    <message>
        <source>Communicator starts with your desktop session</source>
        <translation>Communicator uruchamia się razem z sesją pulpitu</translation>
    </message>
    <message>
        <source>Call links</source>
        <translation>Linki do połączeń</translation>
    </message>
    <message>
        <source>What a sip: or tel: link does when you open it</source>
        <translation>Co robi link sip: lub tel: po jego otwarciu</translation>
    </message>
    <message>
        <source>Fill the number field</source>
        <translation>Wpisz numer w pole numeru</translation>
    </message>
    <message>
        <source>Dial at once</source>
        <translation>Od razu wybierz numer</translation>
    </message>
    <message>
        <source>Log SIP messages for support</source>
        <translation>Zapisuj komunikaty SIP dla pomocy technicznej</translation>
    </message>
    <message>
        <source>Support may ask for this; the log never holds passwords</source>
        <translation>Pomoc techniczna może o to poprosić; dziennik nigdy nie zawiera haseł</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Język</translation>
    </message>
    <message>
        <source>The language of the windows (after a restart)</source>
        <translation>Język okien (po ponownym uruchomieniu)</translation>
    </message>
    <message>
        <source>&amp;About Communicator</source>
        <translation>&amp;O programie Communicator</translation>
    </message>
    <message>
        <source>Versions of Communicator and its parts</source>
        <translation>Wersje Communicatora i jego składników</translation>
    </message>
    <message>
        <source>Call &amp;links:</source>
        <translation>&amp;Linki do połączeń:</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>&amp;Język:</translation>
    </message>
    <message>
        <source>A new language applies at the next start.</source>
        <translation>Nowy język zacznie obowiązywać po ponownym uruchomieniu.</translation>
    </message>
    <message>
        <source>{device} (not connected)</source>
        <translation>{device} (niepodłączone)</translation>
    </message>
    <message>
        <source>About Communicator</source>
        <translation>O programie Communicator</translation>
    </message>
</context>
<context>
    <name>Shortcuts</name>
    <message>
        <source>Show this list of keys</source>
        <translation>Pokaż tę listę klawiszy</translation>
    </message>
    <message>
        <source>Go to the number field</source>
        <translation>Przejdź do pola numeru</translation>
    </message>
    <message>
        <source>Ready: take calls</source>
        <translation>Gotowy: przyjmuj połączenia</translation>
    </message>
    <message>
        <source>Not ready: choose a reason</source>
        <translation>Niegotowy: wybierz powód</translation>
    </message>
    <message>
        <source>Extend wrap-up</source>
        <translation>Przedłuż przerwę po rozmowie</translation>
    </message>
    <message>
        <source>Answer the ringing call</source>
        <translation>Odbierz dzwoniące połączenie</translation>
    </message>
    <message>
        <source>Decline the ringing call</source>
        <translation>Odrzuć dzwoniące połączenie</translation>
    </message>
    <message>
        <source>Hang up the selected call</source>
        <translation>Rozłącz wybraną rozmowę</translation>
    </message>
    <message>
        <source>Hold or resume the selected call</source>
        <translation>Wstrzymaj lub wznów wybraną rozmowę</translation>
    </message>
    <message>
        <source>Swap between the active and the held call</source>
        <translation>Przełącz między rozmową aktywną a wstrzymaną</translation>
    </message>
    <message>
        <source>Mute or unmute the microphone</source>
        <translation>Wycisz lub włącz mikrofon</translation>
    </message>
    <message>
        <source>Show the keypad to send tones</source>
        <translation>Pokaż klawiaturę do wysyłania tonów</translation>
    </message>
    <message>
        <source>Transfer the selected call</source>
        <translation>Przekaż wybraną rozmowę</translation>
    </message>
    <message>
        <source>Consult, then transfer (attended transfer)</source>
        <translation>Konsultuj, potem przekaż (przekazanie z zapowiedzią)</translation>
    </message>
    <message>
        <source>Conference: add a third party</source>
        <translation>Konferencja: dodaj trzeciego rozmówcę</translation>
    </message>
    <message>
        <source>Show the call history</source>
        <translation>Pokaż historię połączeń</translation>
    </message>
    <message>
        <source>Show the directory</source>
        <translation>Pokaż książkę adresową</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Skróty klawiszowe</translation>
    </message>
    <message>
        <source>Every key the Communicator window answers to</source>
        <translation>Wszystkie klawisze, na które reaguje okno Communicatora</translation>
    </message>
    <message>
        <source>These keys work anywhere in the Communicator window.</source>
        <translation>Te klawisze działają w całym oknie Communicatora.</translation>
    </message>
    <message>
        <source>About the shortcuts</source>
        <translation>O skrótach</translation>
    </message>
    <message>
        <source>Shortcut list</source>
        <translation>Lista skrótów</translation>
    </message>
    <message>
        <source>Each row: the key, and what it does</source>
        <translation>Każdy wiersz: klawisz i jego działanie</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Klawisz</translation>
    </message>
    <message>
        <source>What it does</source>
        <translation>Działanie</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Zamknij</translation>
    </message>
    <message>
        <source>Close the list of shortcuts</source>
        <translation>Zamknij listę skrótów</translation>
    </message>
    <message>
        <source>Help panel buttons</source>
        <translation>Przyciski panelu pomocy</translation>
    </message>
    <message>
        <source>Close the help panel</source>
        <translation>Zamknij panel pomocy</translation>
    </message>
</context>
<context>
    <name>SignInFailure</name>
    <message>
        <source>Wrong user name or password.</source>
        <translation>Nieprawidłowa nazwa użytkownika lub hasło.</translation>
    </message>
    <message>
        <source>Your agent account is disabled. Ask an administrator to enable it.</source>
        <translation>Twoje konto agenta jest wyłączone. Poproś administratora o jego włączenie.</translation>
    </message>
    <message>
        <source>Your session has ended. Please sign in again.</source>
        <translation>Twoja sesja wygasła. Zaloguj się ponownie.</translation>
    </message>
    <message>
        <source>Too many attempts; wait a moment and try again.</source>
        <translation>Zbyt wiele prób; poczekaj chwilę i spróbuj ponownie.</translation>
    </message>
    <message>
        <source>No free number, or the number is invalid.</source>
        <translation>Brak wolnego numeru lub numer nieprawidłowy.</translation>
    </message>
    <message>
        <source>The server {url} did not answer in time. Check the network or try later.</source>
        <translation>Serwer {url} nie odpowiedział na czas. Sprawdź połączenie sieciowe lub spróbuj później.</translation>
    </message>
    <message>
        <source>The server {url} cannot be reached. Check the network or try later.</source>
        <translation>Nie można połączyć się z serwerem {url}. Sprawdź połączenie sieciowe lub spróbuj później.</translation>
    </message>
    <message>
        <source>Secure connection to {url} failed ({reason}). Check the server address, or ask IT for the server&apos;s certificate authority.</source>
        <translation>Nie udało się nawiązać bezpiecznego połączenia z {url} ({reason}). Sprawdź adres serwera lub poproś dział IT o certyfikat urzędu certyfikacji serwera.</translation>
    </message>
    <message>
        <source>The server had a problem (HTTP {status}); try again later.</source>
        <translation>Wystąpił problem po stronie serwera (HTTP {status}); spróbuj ponownie później.</translation>
    </message>
    <message>
        <source>Enter your user name.</source>
        <translation>Wpisz nazwę użytkownika.</translation>
    </message>
    <message>
        <source>Signing in failed unexpectedly.</source>
        <translation>Logowanie nieoczekiwanie się nie powiodło.</translation>
    </message>
    <message>
        <source>This is not a server address (use https://host[:port]).</source>
        <translation>To nie jest adres serwera (użyj https://host[:port]).</translation>
    </message>
</context>
<context>
    <name>SignInWindow</name>
    <message>
        <source>Sign in - Communicator</source>
        <translation>Logowanie - Communicator</translation>
    </message>
    <message>
        <source>Sign in to Communicator</source>
        <translation>Zaloguj się do Communicatora</translation>
    </message>
    <message>
        <source>Sign in to take and make calls</source>
        <translation>Zaloguj się, aby odbierać i wykonywać połączenia</translation>
    </message>
    <message>
        <source>Server address</source>
        <translation>Adres serwera</translation>
    </message>
    <message>
        <source>The address of your contact center&apos;s server, for example https://pbx.example.com</source>
        <translation>Adres serwera Twojego contact center, na przykład https://pbx.example.com</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>Nazwa użytkownika</translation>
    </message>
    <message>
        <source>Your agent user name</source>
        <translation>Twoja nazwa użytkownika agenta</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Hasło</translation>
    </message>
    <message>
        <source>Your agent password</source>
        <translation>Twoje hasło agenta</translation>
    </message>
    <message>
        <source>&amp;Remember me on this computer</source>
        <translation>&amp;Zapamiętaj mnie na tym komputerze</translation>
    </message>
    <message>
        <source>Remember me</source>
        <translation>Zapamiętaj mnie</translation>
    </message>
    <message>
        <source>Keep the password in this computer&apos;s keyring for the next sign-in</source>
        <translation>Przechowuj hasło w magazynie kluczy tego komputera do następnego logowania</translation>
    </message>
    <message>
        <source>Phone for this session</source>
        <translation>Telefon na tę sesję</translation>
    </message>
    <message>
        <source>Where your calls ring until you sign out: this computer or a desk phone</source>
        <translation>Gdzie dzwonią Twoje połączenia do wylogowania: ten komputer lub telefon biurkowy</translation>
    </message>
    <message>
        <source>P&amp;hone for this session:</source>
        <translation>&amp;Telefon na tę sesję:</translation>
    </message>
    <message>
        <source>Choose below, then press Enter</source>
        <translation>Wybierz poniżej, potem naciśnij Enter</translation>
    </message>
    <message>
        <source>Sign-in message</source>
        <translation>Komunikat logowania</translation>
    </message>
    <message>
        <source>Signing in</source>
        <translation>Logowanie</translation>
    </message>
    <message>
        <source>Signing in: this can take a few seconds</source>
        <translation>Logowanie: może to potrwać kilka sekund</translation>
    </message>
    <message>
        <source>Signing in...</source>
        <translation>Logowanie...</translation>
    </message>
    <message>
        <source>&amp;Sign in</source>
        <translation>Za&amp;loguj</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>Zaloguj</translation>
    </message>
    <message>
        <source>Sign in with the address, name and password</source>
        <translation>Zaloguj się podanym adresem, nazwą i hasłem</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>&amp;Anuluj</translation>
    </message>
    <message>
        <source>Cancel sign-in</source>
        <translation>Anuluj logowanie</translation>
    </message>
    <message>
        <source>Stop signing in and change the details</source>
        <translation>Przerwij logowanie i zmień dane</translation>
    </message>
    <message>
        <source>Start with saved se&amp;ttings</source>
        <translation>U&amp;ruchom z zapisanymi ustawieniami</translation>
    </message>
    <message>
        <source>Start with saved settings</source>
        <translation>Uruchom z zapisanymi ustawieniami</translation>
    </message>
    <message>
        <source>The server cannot be reached: start from the settings saved at your last sign-in on this computer (no live updates until the server is back)</source>
        <translation>Serwer jest nieosiągalny: uruchom z ustawieniami zapisanymi przy ostatnim logowaniu na tym komputerze (bez bieżących aktualizacji do czasu powrotu serwera)</translation>
    </message>
    <message>
        <source>Ser&amp;ver address:</source>
        <translation>Adres &amp;serwera:</translation>
    </message>
    <message>
        <source>&amp;User name:</source>
        <translation>Nazwa &amp;użytkownika:</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>&amp;Hasło:</translation>
    </message>
    <message>
        <source>Set by your IT department; it cannot be changed here.</source>
        <translation>Ustawiony przez dział IT; nie można go tu zmienić.</translation>
    </message>
    <message>
        <source>Server address (set by IT)</source>
        <translation>Adres serwera (ustawiony przez dział IT)</translation>
    </message>
    <message>
        <source>This computer</source>
        <translation>Ten komputer</translation>
    </message>
    <message>
        <source>C&amp;ontinue</source>
        <translation>&amp;Dalej</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>Dalej</translation>
    </message>
    <message>
        <source>Start with the phone chosen for this session</source>
        <translation>Rozpocznij z telefonem wybranym na tę sesję</translation>
    </message>
    <message>
        <source>Choose the phone for this session, then press Enter.</source>
        <translation>Wybierz telefon na tę sesję, potem naciśnij Enter.</translation>
    </message>
    <message>
        <source>Sign-in cancelled.</source>
        <translation>Logowanie anulowane.</translation>
    </message>
    <message>
        <source> You can start with the settings saved at your last sign-in here.</source>
        <translation> Możesz uruchomić program z ustawieniami zapisanymi przy ostatnim logowaniu na tym komputerze.</translation>
    </message>
</context>
<context>
    <name>SignOutAction</name>
    <message>
        <source>Sign out</source>
        <translation>Wyloguj</translation>
    </message>
    <message>
        <source>Sign out of Communicator on this computer (ends your calls)</source>
        <translation>Wyloguj się z Communicatora na tym komputerze (kończy Twoje rozmowy)</translation>
    </message>
    <message>
        <source>Sign out?</source>
        <translation>Wylogować?</translation>
    </message>
    <message>
        <source>Signing out ends your call. Sign out?</source>
        <translation>Wylogowanie zakończy Twoją rozmowę. Wylogować?</translation>
    </message>
    <message>
        <source>Signing out ends your calls ({count}). Sign out?</source>
        <translation>Wylogowanie zakończy Twoje rozmowy (liczba: {count}). Wylogować?</translation>
    </message>
</context>
<context>
    <name>TargetPicker</name>
    <message>
        <source>Number or name</source>
        <translation>Numer lub nazwa</translation>
    </message>
    <message>
        <source>Type a number, or search the directory and history</source>
        <translation>Wpisz numer albo przeszukaj książkę adresową i historię</translation>
    </message>
    <message>
        <source>&amp;To:</source>
        <translation>&amp;Do:</translation>
    </message>
    <message>
        <source>Suggestions</source>
        <translation>Podpowiedzi</translation>
    </message>
    <message>
        <source>Matching directory entries and recent calls; Enter or double-click chooses</source>
        <translation>Pasujące pozycje książki adresowej i ostatnie połączenia; Enter lub dwukrotne kliknięcie wybiera</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>Przekaż</translation>
    </message>
    <message>
        <source>Go ahead</source>
        <translation>Wykonaj</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Anuluj</translation>
    </message>
    <message>
        <source>Close without doing anything</source>
        <translation>Zamknij bez wykonywania żadnej czynności</translation>
    </message>
    <message>
        <source>Choose whom</source>
        <translation>Wybierz osobę</translation>
    </message>
    <message>
        <source>Type a number or pick from the directory or history</source>
        <translation>Wpisz numer lub wybierz z książki adresowej albo historii</translation>
    </message>
    <message>
        <source>What the choice is for</source>
        <translation>Czego dotyczy wybór</translation>
    </message>
    <message>
        <source>{verb} to the number in the field</source>
        <translation>{verb} – numer wpisany w polu</translation>
    </message>
    <message>
        <source>Directory: {entry}</source>
        <translation>Książka adresowa: {entry}</translation>
    </message>
    <message>
        <source>Recent: {name} · {number}</source>
        <translation>Ostatnie: {name} · {number}</translation>
    </message>
</context>
<context>
    <name>TrayState</name>
    <message>
        <source>signed out</source>
        <translation>wylogowany</translation>
    </message>
    <message>
        <source>signing in…</source>
        <translation>logowanie…</translation>
    </message>
    <message>
        <source>signing out…</source>
        <translation>wylogowywanie…</translation>
    </message>
    <message>
        <source>call from {caller}</source>
        <translation>połączenie od: {caller}</translation>
    </message>
    <message>
        <source>on a call with {caller}</source>
        <translation>w rozmowie z: {caller}</translation>
    </message>
    <message>
        <source>(+{count} more)</source>
        <translation>(+{count} więcej)</translation>
    </message>
    <message>
        <source>phone not connected</source>
        <translation>telefon niepołączony</translation>
    </message>
    <message>
        <source>phone not connected, trying again</source>
        <translation>telefon niepołączony, ponowna próba</translation>
    </message>
    <message>
        <source>connecting the phone…</source>
        <translation>łączenie telefonu…</translation>
    </message>
    <message>
        <source>calls in progress: {count}</source>
        <translation>trwające rozmowy: {count}</translation>
    </message>
</context>
</TS>
